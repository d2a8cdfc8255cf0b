// The toolbox's terminal tools against hyades, inside the user's container: k9s under
// tmux shows hyades' pods on its first screen; kubectx switches contexts and kubens
// namespaces, into the user's own kubeconfig (the operators' one is read-only).
import t from 'tap'
import { localBastion, ssh } from '../../fixtures/e2e-bastion.ts'
import { seedPods } from '../../fixtures/e2e-cluster.ts'

const b = localBastion()
await seedPods()

t.test('k9s under tmux: its first screen is hyades, listing its pods', async (t) => {
  // tmux renders k9s in a 200x50 pane; capture-pane prints the screen as text.
  const script = [
    'tmux kill-session -t e2e-k9s 2>/dev/null',
    // Should k9s quit, what it printed stays on the pane for the assertions to show.
    'tmux new-session -d -s e2e-k9s -x 200 -y 50 "k9s -A; sleep 60"',
    'for i in $(seq 120); do tmux capture-pane -p -t e2e-k9s > /tmp/e2e-k9s.txt; grep -q e2e-taurus-web /tmp/e2e-k9s.txt && break; sleep 0.5; done',
    'cat /tmp/e2e-k9s.txt',
    'tmux kill-session -t e2e-k9s'
  ].join('; ')
  const r = await ssh(b, 'johnsmith', script, 120_000)
  t.equal(r.exitCode, 0, 'it succeeds', { stderr: r.stderr })
  t.match(r.stdout, /Context:\s+hyades/, 'k9s is on hyades')
  t.match(r.stdout, /pods\(all\)\[\d+\]/, 'its first screen is the pod list')
  t.match(r.stdout, /default\s+e2e-web/, 'with hyades\' pods')
  t.match(r.stdout, /taurus\s+e2e-taurus-web/)
})

t.test('kubectx lists and switches contexts', async (t) => {
  const list = await ssh(b, 'johnsmith', 'kubectx')
  t.equal(list.exitCode, 0, 'it succeeds', { stderr: list.stderr })
  t.match(list.stdout, /^hyades$/m)
  const sw = await ssh(b, 'johnsmith', 'kubectx hyades && kubectx -c')
  t.equal(sw.exitCode, 0, 'it succeeds', { stderr: sw.stderr })
  t.match(sw.stdout + sw.stderr, /Switched to context "hyades"/)
  t.match(sw.stdout, /^hyades$/m)
})

t.test('kubens switches the namespace, and the next login keeps it', async (t) => {
  t.teardown(() => ssh(b, 'johnsmith', 'kubens default'))
  const sw = await ssh(b, 'johnsmith', 'kubens taurus')
  t.equal(sw.exitCode, 0, 'it succeeds', { stderr: sw.stderr })
  t.match(sw.stdout + sw.stderr, /Active namespace is "taurus"/)
  const after = await ssh(b, 'johnsmith', 'kubens -c; kubectl get pods -o name')
  t.equal(after.exitCode, 0, 'it succeeds', { stderr: after.stderr })
  t.match(after.stdout, /^taurus$/m)
  t.match(after.stdout, /^pod\/e2e-taurus-web$/m, 'kubectl now works in taurus')
  t.notMatch(after.stdout, /e2e-web$/m)
})

// The first day, from IAM alone, on the real components: a person is added to an access
// group on moto's IAM and uploads an SSH key; `bastion users sync` runs as its timer runs
// it; they log in over the test bed's sshd (the shipped drop-in, the real
// AuthorizedKeysCommand, the bed's broker and toolbox image), and in their container
// `kubectl auth whoami` names them and k9s says its release version. Then they are taken
// out of the group; the next sync ends their live session and refuses the next login.
// No other step in between.
//
// moto's default account, because the bed's metadata proxy assumes roles there; the
// access groups sit under an IAM path of this run's own, so that the sync sees no one
// else's. The cluster side, the person's role mapped to their name in aws-auth, is
// rbacsync's part (test/integration/rbacsync); here it is set up before the story starts,
// as rbacsync would have it, since an rbacsync run of this run's path would own aws-auth.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { authnBed, mapRole } from '../../fixtures/authenticator.ts'
import { iamPeople } from '../../fixtures/iam-people.ts'
import { interactive, ssh } from '../../fixtures/ssh.ts'
import { patchShellConfig, writeHyadesKubeconfig } from '../../fixtures/toolbox.ts'

const run = randomBytes(3).toString('hex')
const PREFIX = 'bt-first-'
const NAME = `${PREFIX}${run}`
const GROUP = `k8s-user@hyades@first-${run}`

const people = await iamPeople(PREFIX, '123456789012', `/bt-first-day-${run}/`)
t.teardown(() => people.cleanup())

// The kubeconfig the operators write for the cluster, which every container gets.
patchShellConfig(t, [[['shell', 'kubeconfigDir'], await writeHyadesKubeconfig(t.testdir({}))]])
await mapRole(t, authnBed(), NAME, NAME)

t.test('added to a group with a key: after one sync they log in, and kubectl names them; removed: after one sync their session is gone and the next login refused', async (t) => {
  const person = await people.person(NAME, [GROUP])
  const key = ['-i', person.key]
  await people.sync()

  const login = await ssh(NAME, 'id -un; kubectl auth whoami -o jsonpath="whoami={.status.userInfo.username}{\\"\\n\\"}"; k9s version --short', { extra: key, timeoutMs: 120_000 })
  const out = login.stdout.toString()
  t.equal(login.exitCode, 0, login.stderr)
  t.match(out, new RegExp(`^${NAME}$`, 'm'), 'in their own container, as themselves')
  t.match(out, new RegExp(`^whoami=${NAME}$`, 'm'), 'kubectl auth whoami answers with their own name')
  t.match(out, /^Version\s+v\d+\.\d+\.\d+$/m, 'k9s says its release version, not "dev"')

  const live = interactive(NAME, { extra: key })
  t.teardown(() => live.kill())
  live.write('echo "live-$((6*7))"\r')
  await live.waitFor(/live-42/, 90_000)

  await people.leave(NAME, GROUP)
  await people.sync()
  // The broker ends the session within shell.revokeCheckSeconds of the sync; the bound
  // here is only how long the test waits for that to happen at all.
  const ended = await Promise.race([live.exit, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 60_000))])
  t.ok(ended !== undefined, 'their live session is gone', { output: live.output() })

  const again = await ssh(NAME, 'true', { extra: key })
  t.equal(again.exitCode, 255, 'the next login is refused')
  t.match(again.stderr, /Permission denied \(publickey\)/)
})

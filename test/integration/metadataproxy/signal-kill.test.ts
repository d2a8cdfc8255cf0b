// signal-kill: `docker kill -s HUP` (a signal to a container's main process, which
// keeps running) once dropped the container from the proxy's index until the next
// resync. The container must keep its credentials; a real stop must still end them.
import t from 'tap'
import { execa } from 'execa'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

const proxy = await startProxy(t)

async function indexSize (): Promise<number> {
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text()
  return Number(/^bastion_index_containers (\d+)$/m.exec(metrics)?.[1])
}

t.test('a signal that does not stop the container keeps it indexed and answered', async (t) => {
  const box = await runBox(t, proxy, { user: 'sigrid' })
  t.equal((await box.imds('/latest/meta-data/iam/security-credentials/', { token: await box.token() })).body, 'sigrid')
  const before = await indexSize()
  // SIGWINCH: ignored by the container's init, so the container keeps running.
  await execa('/usr/bin/docker', ['kill', '-s', 'WINCH', box.id])
  await new Promise((r) => setTimeout(r, 300))
  const state = await execa('/usr/bin/docker', ['inspect', '-f', '{{.State.Running}}', box.id])
  t.equal(state.stdout, 'true', 'the container still runs')
  t.equal(await indexSize(), before, 'still indexed, with no resync needed')
  const creds = await box.imds('/latest/meta-data/iam/security-credentials/sigrid', { token: await box.token() })
  t.equal(creds.status, 200, 'and still answered')

  await execa('/usr/bin/docker', ['kill', box.id])
  await new Promise((r) => setTimeout(r, 300))
  t.equal(await indexSize(), before - 1, 'a kill that stops it removes it at once')
})

// Check `docker`: every socket the config names answers; the answer is kept for `image`.
import t from 'tap'
import { dockerCheck } from '../../../src/doctor/checks/docker.ts'
import { hostConfig, fakeDocker, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

t.test('one socket that answers: ok', async (t) => {
  const ctx = doctorContext(scratchDir(t))
  t.same(await dockerCheck.run(ctx), { status: 'ok', detail: 'the Docker Engine answers on /var/run/docker.sock' })
  t.equal(ctx.dockerUp, true)
})

t.test('two sockets, one down: one problem naming it, with the fix', async (t) => {
  const config = hostConfig('aws: { accountId: "123456789012" }\nshell: { dockerSocket: /run/a.sock }\nmetadataproxy: { docker: { socketPath: /run/b.sock } }\n')
  const ctx = doctorContext(scratchDir(t), { config, dockers: { '/run/a.sock': fakeDocker(), '/run/b.sock': fakeDocker({}, { down: true }) } })
  const f = await dockerCheck.run(ctx)
  t.same(f, { status: 'problems', problems: [{ problem: 'the Docker Engine does not answer on /run/b.sock (connect ENOENT /var/run/docker.sock)', fix: 'start it (systemctl start docker) and see `journalctl -u docker`; or fix shell.dockerSocket / metadataproxy.docker.socketPath' }] })
  t.equal(ctx.dockerUp, false)
})

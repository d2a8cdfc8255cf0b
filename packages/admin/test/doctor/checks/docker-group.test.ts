// Check `docker-group`: no member, no user with docker as primary group.
import t from 'tap'
import { dockerGroupCheck } from '../../../src/doctor/checks/docker-group.ts'
import { scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

t.test('an empty docker group, or none at all: ok', async (t) => {
  const ctx = doctorContext(scratchDir(t))
  t.same(await dockerGroupCheck.run(ctx), { status: 'ok', detail: 'there is no docker group' })
  ctx.exec.group('docker', 999).user('alice')
  t.same(await dockerGroupCheck.run(ctx), { status: 'ok', detail: 'the docker group has no members' })
})

t.test('one line per member and per user with docker as primary group, each with its fix', async (t) => {
  const ctx = doctorContext(scratchDir(t))
  ctx.exec.group('docker', 999, ['alice', 'bob']).user('alice').user('bob', '/bin/sh', 999).user('svc', '/bin/sh', 999)
  t.same(await dockerGroupCheck.run(ctx), {
    status: 'problems',
    problems: [
      { problem: 'user alice is in the docker group, which is root by another name', fix: 'gpasswd -d alice docker' },
      { problem: 'user bob is in the docker group, which is root by another name', fix: 'gpasswd -d bob docker' },
      { problem: 'user svc has docker as primary group, which is root by another name', fix: 'usermod -g <another group> svc' }
    ]
  })
})

t.test('a failing getent is a problem', async (t) => {
  const ctx = doctorContext(scratchDir(t))
  ctx.exec.handlers.push(() => ({ exitCode: 1, stdout: '', stderr: 'nss down' }))
  t.match(await dockerGroupCheck.run(ctx), { problems: [{ problem: 'getent group docker failed (nss down)' }] })
})

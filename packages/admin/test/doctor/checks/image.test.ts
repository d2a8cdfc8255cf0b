// Check `image`: the configured image is in Docker; skipped when Docker is down.
import t from 'tap'
import { imageCheck } from '../../../src/doctor/checks/image.ts'
import { fakeDocker, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

t.test('present: ok with a short id; missing: one problem with the fix', async (t) => {
  t.same(await imageCheck.run(doctorContext(scratchDir(t))), { status: 'ok', detail: 'the toolbox image bastion/toolbox:unit is present (sha256:0123456789ab)' })
  const missing = doctorContext(scratchDir(t), { docker: () => fakeDocker() })
  t.same(await imageCheck.run(missing), { status: 'problems', problems: [{ problem: 'the toolbox image bastion/toolbox:unit (shell.image) is missing, so logins fail', fix: 'bastion setup image (builds it), or `bastion image` to roll out a new one' }] })
})

t.test('skipped when the docker check found Docker down; an error asking is a problem', async (t) => {
  t.same(await imageCheck.run(doctorContext(scratchDir(t), { dockerUp: false })), { status: 'skipped', detail: 'Docker does not answer' })
  const f = await imageCheck.run(doctorContext(scratchDir(t), { docker: () => fakeDocker({}, { down: true }) }))
  t.match(f, { status: 'problems', problems: [{ problem: /cannot ask Docker for bastion\/toolbox:unit \(connect ENOENT/ }] })
})

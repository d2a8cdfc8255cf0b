// Check `roles`: the proxy's rolePrefix is rbacsync's IAM path without its leading slash.
import t, { type Test } from 'tap'
import { RbacsyncSection } from '@bastion/rbacsync'
import { RBACSYNC_PATH_DEFAULT, prefixFor, rolesCheck } from '../../../src/doctor/checks/roles.ts'
import { hostConfig, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

const ACCOUNT = 'aws: { accountId: "123456789012" }\n'
const run = (text: string, t: Test) => rolesCheck.run(doctorContext(scratchDir(t), { config: hostConfig(text) }))

t.test("the default here is rbacsync's own", async (t) => {
  t.equal(RBACSYNC_PATH_DEFAULT, RbacsyncSection.properties.iam.properties.path.default)
})

t.test('a default install agrees: no rolePrefix, no rbacsync.iam.path', async (t) => {
  t.same(await run(ACCOUNT, t), { status: 'ok', detail: 'the proxy assumes </k8s-access/><role>, the roles rbacsync makes (rolePrefix "k8s-access/")' })
})

t.test('both set to the same other path: ok', async (t) => {
  const f = await run(`${ACCOUNT}metadataproxy: { credentials: { rolePrefix: team/eks/ } }\nrbacsync: { iam: { path: /team/eks/ } }\n`, t)
  t.equal(f.status, 'ok')
  t.equal(prefixFor('/'), '', 'the root path is no prefix at all')
  t.equal((await run(`${ACCOUNT}metadataproxy: { credentials: { rolePrefix: "" } }\nrbacsync: { iam: { path: / } }\n`, t)).status, 'ok')
})

t.test('an empty rolePrefix against the default path: one problem, with the value to set', async (t) => {
  const f = await run(`${ACCOUNT}metadataproxy: { credentials: { rolePrefix: "" } }\n`, t)
  t.match(f, {
    status: 'problems',
    problems: [{ problem: /rolePrefix is "", but rbacsync makes the per-user roles under the IAM path \/k8s-access\/ \(rbacsync\.iam\.path\)/, fix: /set metadataproxy\.credentials\.rolePrefix to "k8s-access\/"/ }]
  })
  t.equal(f.status === 'problems' ? f.problems.length : 0, 1)
})

t.test('rbacsync moved to another path while the proxy kept the default: a problem', async (t) => {
  const f = await run(`${ACCOUNT}rbacsync: { iam: { path: /people/ } }\n`, t)
  t.match(f, { status: 'problems', problems: [{ problem: /rolePrefix is "k8s-access\/", but .* under the IAM path \/people\//, fix: /rolePrefix to "people\/"/ }] })
})

t.test('a name part in the prefix is a mismatch too: rbacsync names each role like its person', async (t) => {
  const f = await run(`${ACCOUNT}metadataproxy: { credentials: { rolePrefix: k8s-access/team- } }\n`, t)
  t.match(f, { status: 'problems', problems: [{ fix: /"k8s-access\/"/ }] })
})

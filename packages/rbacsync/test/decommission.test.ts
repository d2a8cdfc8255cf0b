import t from 'tap'
import { decommission, formatDecommission } from '../src/decommission.ts'
import { isRbacsyncError } from '../src/errors.ts'
import type { EksApi } from '../src/eks/eks-clusters.ts'
import { testConfig } from './fixtures/config.ts'
import { FakeIam } from './fixtures/fakes.ts'

const eks = (names: string[] | Error): EksApi => ({
  async listClusters () { if (names instanceof Error) throw names; return names },
  async describeCluster () { throw new Error('not used') }
})
const discovering = testConfig('  discover: {regions: [eu-north-1]}\n')

const withGroups = (): FakeIam => new FakeIam().addGroup('k8s-user@alcyone').addGroup('k8s-admin@alcyone@web').addGroup('k8s-user@hyades', ['ann']).addGroup('other')

t.test('a dry run by default, then --yes deletes only that cluster\'s groups', async (t) => {
  const iam = withGroups()
  const dry = await decommission(discovering, 'alcyone', { iam, eks: eks(['hyades']) }, { yes: false })
  t.same(dry, { cluster: 'alcyone', groups: ['k8s-admin@alcyone@web', 'k8s-user@alcyone'], deleted: false })
  t.match(formatDecommission(dry), /would delete 2 group\(s\) \(dry run; --yes deletes them\)/)
  t.equal(iam.groups.size, 4)
  const done = await decommission(discovering, 'alcyone', { iam, eks: eks(['hyades']) }, { yes: true })
  t.match(formatDecommission(done), /deleted 2 group\(s\)/)
  t.same([...iam.groups.keys()], ['k8s-user@hyades', 'other'])
  t.match(formatDecommission(await decommission(discovering, 'alcyone', { iam, eks: eks([]) }, { yes: true })), /none of our groups name it/)
})

t.test('refuses while a group has members, while listed, while discovered, or when discovery fails', async (t) => {
  const iam = withGroups()
  iam.groups.get('k8s-user@alcyone')!.members.add('bob')
  const refused = async (p: Promise<unknown>, code: 'BASTION_RBACSYNC_DECOMMISSION_MEMBERS' | 'BASTION_RBACSYNC_DECOMMISSION_REFUSED', m: RegExp): Promise<void> => {
    const err = await p.then(() => undefined, (e: unknown) => e)
    t.ok(isRbacsyncError(err, code), code)
    t.match((err as Error).message, m)
  }
  await refused(decommission(discovering, 'alcyone', { iam, eks: eks([]) }, { yes: true }), 'BASTION_RBACSYNC_DECOMMISSION_MEMBERS', /k8s-user@alcyone \(1\)/)
  await refused(decommission(discovering, 'hyades', { iam, eks: eks([]) }, { yes: true }), 'BASTION_RBACSYNC_DECOMMISSION_REFUSED', /still in the clusters list/)
  await refused(decommission(discovering, 'alcyone', { iam, eks: eks(['alcyone']) }, { yes: true }), 'BASTION_RBACSYNC_DECOMMISSION_REFUSED', /EKS still has it in eu-north-1/)
  await refused(decommission(discovering, 'alcyone', { iam, eks: eks(new Error('down')) }, { yes: true }), 'BASTION_RBACSYNC_DECOMMISSION_REFUSED', /could not list .* cannot tell that it is gone/)
  t.equal(iam.groups.size, 4, 'nothing deleted')
})

// Clusters come and go by themselves: rbacsync finds EKS clusters with ListClusters in
// rbacsync.discover.regions (moto's EKS, through the suite's account front) at every
// run, so a cluster made after the config was written gets its tiers and groups on the
// next run; a cluster that disappears is reported, never pruned, until
// `bastion-rbacsync decommission` removes its groups after a membership check.
// moto's DescribeCluster endpoint is no API server: the discovered cluster is mapped to
// the bed's kube-apiserver by rbacsync.clusters.<name>.kubeconfig, as the suite's other
// files do for listed clusters; DescribeCluster and the token are unit-tested (connect).
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CreateClusterCommand, DeleteClusterCommand, EKSClient } from '@aws-sdk/client-eks'
import { parse, stringify } from 'yaml'
import { EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { addUser, canI, cli, groupNames, removeUser, roleNames, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const REGION = 'eu-north-1'
const RBAC = '/apis/rbac.authorization.k8s.io/v1'

t.test('discovery, a new cluster on the next run, a gone one reported, and decommission', async (t) => {
  const s = await sandbox('210000000041')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const eks = new EKSClient({ region: REGION, endpoint: s.aws.url, credentials: { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY } })
  t.teardown(() => eks.send(new DeleteClusterCommand({ name: 'alcyone' })).catch(() => undefined).then(() => eks.destroy()))
  const dir = t.testdir({})
  // No cluster listed: only what discovery finds, reached through the sandbox kubeconfig.
  const doc = parse(readFileSync(writeConfig(dir, s, { cluster: 'alcyone', kubeconfig: s.kubeconfig, namespaces: [], clusters: [] }), 'utf8')) as { rbacsync: Record<string, unknown> }
  doc.rbacsync.discover = { regions: [REGION] }
  doc.rbacsync.endpoints = { ...doc.rbacsync.endpoints as object, eks: s.aws.url }
  const config = join(dir, 'bastion.yaml')
  writeFileSync(config, stringify(doc))
  const clusterRole = async (): Promise<unknown> => s.kube.get(`${RBAC}/clusterroles/k8s-user%40alcyone`).catch(() => undefined)

  const before = await sync(config)
  t.ok(before.ok, JSON.stringify(before.problems))
  t.same(await groupNames(s), [], 'no cluster in EKS yet: no groups')
  t.equal(await clusterRole(), undefined)

  await eks.send(new CreateClusterCommand({ name: 'alcyone', roleArn: `arn:aws:iam::${s.account}:role/eks`, resourcesVpcConfig: {} }))
  const after = await sync(config)
  t.ok(after.ok, JSON.stringify(after.problems))
  t.same(await groupNames(s), ['k8s-admin@alcyone', 'k8s-poweruser@alcyone', 'k8s-user@alcyone'], 'the same config, the next run: the new cluster\'s groups')
  t.ok(await clusterRole(), 'and its tiers on its API server')
  await addUser(s, 'maia', 'k8s-user@alcyone')
  t.ok((await sync(config)).ok)
  t.ok(await canI(s, 'maia', 'get', 'pods', 'default'), 'a member is granted on the discovered cluster')

  const refused = await cli(config, 'decommission', 'alcyone')
  t.equal(refused.exitCode, 2)
  t.match(refused.stderr, /will not decommission alcyone: EKS still has it in eu-north-1.*\[BASTION_RBACSYNC_DECOMMISSION_REFUSED\]/)

  await eks.send(new DeleteClusterCommand({ name: 'alcyone' }))
  const gone = await cli(config, 'sync')
  t.equal(gone.exitCode, 0, gone.stdout)
  t.match(gone.stdout, /warning BASTION_RBACSYNC_CLUSTER_GONE \[alcyone\] alcyone is neither listed nor found in rbacsync\.discover\.regions, and 3 of our groups name it.*decommission alcyone/)
  t.same(await groupNames(s), ['k8s-admin@alcyone', 'k8s-poweruser@alcyone', 'k8s-user@alcyone'], 'reported, not pruned')
  t.same(await roleNames(s, '/k8s-access/'), ['maia'], 'and its member keeps her role')

  const members = await cli(config, 'decommission', 'alcyone', '--yes')
  t.equal(members.exitCode, 2)
  t.match(members.stderr, /will not decommission alcyone: these groups still have members: k8s-user@alcyone \(1\); remove them .*\[BASTION_RBACSYNC_DECOMMISSION_MEMBERS\]/)
  t.equal((await groupNames(s)).length, 3, 'nothing deleted')

  await removeUser(s, 'maia', 'k8s-user@alcyone')
  const dry = await cli(config, 'decommission', 'alcyone')
  t.equal(dry.exitCode, 0, dry.stderr)
  t.match(dry.stdout, /- iam group k8s-user@alcyone\nalcyone: would delete 3 group\(s\) \(dry run; --yes deletes them\)/)
  t.equal((await groupNames(s)).length, 3, 'a dry run by default')
  const done = await cli(config, 'decommission', 'alcyone', '--yes')
  t.equal(done.exitCode, 0, done.stderr)
  t.match(done.stdout, /alcyone: deleted 3 group\(s\)/)
  t.same(await groupNames(s), [])
  t.ok((await sync(config)).ok)
  t.same(await roleNames(s, '/k8s-access/'), [], 'the next sync deletes the role nobody needs')

  // ListClusters failing (a closed port on loopback): a read failure for the region, and nothing decommissioned.
  writeFileSync(config, readFileSync(config, 'utf8').replace(`eks: ${s.aws.url}`, 'eks: http://127.0.0.1:9'))
  const failed = await cli(config, 'sync')
  t.equal(failed.exitCode, 2)
  t.match(failed.stdout, /error BASTION_RBACSYNC_READ_FAILED \[eu-north-1\] could not list the EKS clusters of eu-north-1/)
  t.match(failed.stdout, /held back: eu-north-1: ListClusters failed: clusters found only there were not synced/)
  const blind = await cli(config, 'decommission', 'alcyone')
  t.match(blind.stderr, /could not list the EKS clusters of eu-north-1 .*so cannot tell that it is gone \[BASTION_RBACSYNC_DECOMMISSION_REFUSED\]/)
})

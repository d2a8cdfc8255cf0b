// The command line: --help everywhere, sync --dry-run writes nothing, diff's exit codes,
// config check, and a bad config named by key path with its code.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { addUser, BIN, cli, roleNames, sandbox, wipe, writeConfig } from './fixtures/sandbox.ts'

t.test('the command line', async (t) => {
  const s = await sandbox('210000000006')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const dir = t.testdir({})
  const config = writeConfig(dir, s, { cluster: 'auriga', kubeconfig: s.kubeconfig, namespaces: [] })

  await t.test('--help for the program and each command', async (t) => {
    for (const args of [['--help'], ['sync', '--help'], ['diff', '--help'], ['config', 'check', '--help']]) {
      const r = await execa(process.execPath, [BIN, ...args], { reject: false })
      t.equal(r.exitCode, 0, args.join(' '))
      t.match(String(r.stdout), /^Usage: bastion-rbacsync/)
    }
    t.match(String((await execa(process.execPath, [BIN, '--help'])).stdout), /Exit codes: 0 done or in sync; 1 \(diff\) changes pending; 2 a problem/)
    t.match(String((await execa(process.execPath, [BIN, 'sync', '--help'])).stdout), /--dry-run\s+plan and print the changes, write nothing/)
  })

  await t.test('diff exits 1 with changes pending; sync --dry-run prints them and writes nothing', async (t) => {
    const d = await cli(config, 'diff')
    t.equal(d.exitCode, 1, d.stderr)
    // Three groups, three ClusterRoles and bindings, and the cluster tiers' namespaced
    // rights (a ClusterRole each, a RoleBinding in each namespace but kube-system).
    t.match(d.stdout, /^\d+ change\(s\) to make:\n {2}\+ iam group k8s-admin@auriga\n/)
    t.match(d.stdout, /\+ auriga: ClusterRole k8s-poweruser@auriga:namespaced\n/)
    t.match(d.stdout, /\+ auriga: RoleBinding default\/k8s-user@auriga\n/)
    t.notMatch(d.stdout, /RoleBinding kube-system\//)
    s.aws.calls.length = 0
    const dry = await cli(config, 'sync', '--dry-run')
    t.equal(dry.exitCode, 0)
    t.match(dry.stdout, /\(dry run: nothing written\)/)
    t.match(dry.stdout, /0 write\(s\)/)
    t.same(s.aws.calls.filter((c) => !/^(List|Get)/.test(c.action)), [])
    t.notOk((await s.kube.get('/apis/rbac.authorization.k8s.io/v1/clusterroles/k8s-user%40auriga', true)))
  })

  await t.test('sync applies, then a second sync and diff find nothing to do', async (t) => {
    let r = await cli(config, 'sync')
    t.equal(r.exitCode, 0, r.stdout)
    r = await cli(config, 'sync')
    t.equal(r.exitCode, 0)
    t.match(r.stdout, /^no changes: in sync\n/)
    const j = await cli(config, '--json', 'diff')
    t.equal(j.exitCode, 0)
    t.match(JSON.parse(j.stdout), { ok: true, changes: [], writes: 0 })
  })

  await t.test('a group member who joins later: diff shows the grant, sync applies it', async (t) => {
    await addUser(s, 'capella', 'k8s-user@auriga')
    const d = await cli(config, 'diff')
    t.equal(d.exitCode, 1)
    t.match(d.stdout, /\+ iam role capella/)
    t.match(d.stdout, /~ auriga: ClusterRoleBinding k8s-user@auriga subjects \+capella/)
    t.match(d.stdout, /~ auriga: aws-auth \+capella/)
    t.equal((await cli(config, 'sync')).exitCode, 0)
    t.same(await roleNames(s, '/k8s-access/'), ['capella'])
  })

  await t.test('config check prints the config with defaults; a bad one is named by key path, exit 2', async (t) => {
    const ok = await cli(config, 'config', 'check')
    t.equal(ok.exitCode, 0)
    t.match(JSON.parse(ok.stdout), { rbacsync: { iam: { path: '/k8s-access/', maxSessionDurationSeconds: 3600 }, clusters: { auriga: { identityMapping: 'aws-auth' } } } })
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'aws: {accountId: "1"}\nclusters: [{name: a, region: us-east-1}]\nrbacsync: {iam: {trustedPrincipalArns: []}, clusterz: {}}\n')
    const r = await cli(bad, 'sync')
    t.equal(r.exitCode, 2)
    t.match(r.stderr, /bastion-rbacsync: invalid configuration in .*bad\.yaml:/)
    t.match(r.stderr, /aws\.accountId: /)
    t.match(r.stderr, /rbacsync\.clusterz: unknown key/)
    t.match(r.stderr, /rbacsync\.iam\.trustedPrincipalArns: /)
    t.match(r.stderr, /\[BASTION_RBACSYNC_CONFIG_INVALID\]$/m)
    const missing = await cli(join(dir, 'nope.yaml'), 'diff')
    t.equal(missing.exitCode, 2)
    t.match(missing.stderr, /\[BASTION_RBACSYNC_CONFIG_UNREADABLE\]/)
  })
})

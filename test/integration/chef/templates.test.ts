// The cookbook's templates rendered with ERB against the example attributes
// (chef/spec/render.rb, the same stub converge as the specs), then judged by the suite
// and by OpenSSH themselves: bastion.yaml by the metadata proxy's `config check`, the
// shell's config loader and `bastion setup --check config`; the sshd drop-ins by
// `sshd -t` and `sshd -T`; the wrappers by `sh -n`.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { execa } from 'execa'
import { loadShellConfig } from '@bastion/shell'
import { bedFacts } from '../../fixtures/testbed.ts'

const REPO = resolve(import.meta.dirname, '../../..')
const RENDER = join(REPO, 'chef/spec/render.rb')
const NODE = '/opt/bastion/node/bin/node'
const PROXY = join(REPO, 'packages/metadataproxy/dist/bin/bastion-metadataproxy.js')
const BASTION = join(REPO, 'packages/admin/dist/bin/bastion.js')
// Each command here takes about a second; one that hangs fails its test at once, named,
// rather than the whole file at tap's timeout (seen once in CI, 2026-12-08, unexplained).
const CHILD_TIMEOUT_MS = 60_000
const work = mkdtempSync(join(tmpdir(), 'bt-chef-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

async function render (name: string, attributes?: unknown): Promise<string> {
  const out = join(work, name)
  const args = [RENDER, out]
  if (attributes !== undefined) {
    writeFileSync(join(work, `${name}.json`), JSON.stringify(attributes))
    args.push(join(work, `${name}.json`))
  }
  const r = await execa('ruby', args, { timeout: CHILD_TIMEOUT_MS })
  t.match(r.stdout, /\/etc\/bastion\/bastion\.yaml /)
  return out
}

const run = async (cmd: string, args: string[]) => {
  const r = await execa(cmd, args, { reject: false, timeout: CHILD_TIMEOUT_MS, env: { NODE_OPTIONS: '', BASTION_CONFIG: '' } })
  if (r.timedOut) throw new Error(`${[cmd, ...args].join(' ')} did not finish in ${CHILD_TIMEOUT_MS} ms`)
  return r
}

t.test('bastion.yaml from the example attributes passes every component of the suite', async (t) => {
  const file = join(await render('example'), 'bastion.yaml')
  const proxy = await run(NODE, [PROXY, '--config', file, 'config', 'check'])
  t.equal(proxy.exitCode, 0, `bastion-metadataproxy config check: ${proxy.stderr}`)
  const seen = JSON.parse(proxy.stdout)
  t.equal(seen.aws.accountId, '123456789012', 'the account id stays a string')
  t.equal(seen.metadataproxy.credentials.rolePrefix, 'k8s-access/')
  t.equal(seen.metadataproxy.imds.port, 8775, "the proxy's defaults fill in what the attributes leave out")

  const shell = await loadShellConfig(file)
  t.equal(shell.shell.image, 'bastion/toolbox:1.4.0')
  t.same(shell.shell.roles, { carol: 'carol-readonly', 'ops-ana': 'ana-admin' }, "the data bag's and the attributes' roles")
  t.equal(shell.shell.limits.memoryMb, 4096)

  const setup = await run(NODE, [BASTION, '--config', file, 'setup', '--check', 'config'])
  t.equal(setup.exitCode, 0, `bastion setup --check config (the template's verify command): ${setup.stderr}`)
})

t.test('attributes the suite refuses give a bastion.yaml that the verify command refuses', async (t) => {
  const example = JSON.parse(readFileSync(join(REPO, 'chef/spec/fixtures/example_attributes.json'), 'utf8'))
  const cases: Array<[string, (a: any) => void, RegExp]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['no account id', (a) => { delete a.bastion.config.aws.accountId }, /aws\.accountId: required key is missing/],
    ['an unknown key', (a) => { a.bastion.config.shell.imagee = 'x' }, /shell\.imagee: unknown key/],
    ['a cluster endpoint without its CA', (a) => { a.bastion.config.clusters[0].endpoint = 'https://x.example' }, /clusters\.0: endpoint and certificateAuthority go together/]
  ]
  for (const [what, change, error] of cases) {
    const attributes = structuredClone(example)
    change(attributes)
    const file = join(await render(what.replace(/\W+/g, '-'), attributes), 'bastion.yaml')
    const setup = await run(NODE, [BASTION, '--config', file, 'setup', '--check', 'config'])
    t.equal(setup.exitCode, 1, what)
    t.match(setup.stderr, error, what)
    t.match(setup.stderr, /BASTION_ADMIN_HOST_CONFIG_INVALID/, what)
  }
})

t.test("the site's sshd drop-in, beside the suite's, passes sshd -t and cannot loosen the hardening", async (t) => {
  const out = await render('sshd')
  const hostKey = join(dirname(bedFacts()('BASTION_TEST_SSHD_CONFIG')), 'ssh_host_ed25519_key')
  const dropins = join(work, 'sshd_config.d')
  mkdirSync(dropins)
  copyFileSync(join(REPO, 'packages/shell/sshd/bastion.conf'), join(dropins, 'bastion.conf'))
  copyFileSync(join(out, 'zz-bastion-site.conf'), join(dropins, 'zz-bastion-site.conf'))
  const main = join(work, 'sshd_config')
  writeFileSync(main, `Include ${dropins}/*.conf\nHostKey ${hostKey}\nSubsystem sftp /usr/lib/openssh/sftp-server\n`)
  const check = await run('/usr/sbin/sshd', ['-t', '-f', main])
  t.equal(check.exitCode, 0, `sshd -t: ${check.stderr}`)
  const effective = (await run('/usr/sbin/sshd', ['-T', '-f', main])).stdout
  // The site's own lines, and the suite's limits, which the site's file does not set.
  for (const line of ['allowgroups bastion-users', 'allowgroups ops', 'loglevel VERBOSE', 'clientaliveinterval 60', 'clientalivecountmax 3', 'maxstartups 100:30:300', 'allowtcpforwarding no', 'disableforwarding yes']) {
    t.match(effective, new RegExp(`^${line}$`, 'm'), line)
  }

  // A site file that tries to turn forwarding back on loses to the suite's drop-in.
  writeFileSync(join(dropins, 'zz-bastion-site.conf'), `${readFileSync(join(out, 'zz-bastion-site.conf'), 'utf8')}AllowTcpForwarding yes\nX11Forwarding yes\n`)
  const loosened = (await run('/usr/sbin/sshd', ['-T', '-f', main])).stdout
  t.match(loosened, /^allowtcpforwarding no$/m)
  t.match(loosened, /^x11forwarding no$/m)
})

t.test('the rendered site drop-in alone passes the verify command of its template', async (t) => {
  const out = await render('verify')
  // Chef runs `sshd -t -f <the new file>`; sshd then falls back to the host's own keys.
  const r = await run('/usr/sbin/sshd', ['-t', '-f', join(out, 'zz-bastion-site.conf')])
  t.equal(r.exitCode, 0, r.stderr)
})

t.test('the wrapper scripts are valid sh and run the suite', async (t) => {
  const out = await render('wrappers')
  for (const f of ['bastion', 'npm']) {
    const r = await run('/bin/sh', ['-n', join(out, f)])
    t.equal(r.exitCode, 0, `${f}: ${r.stderr}`)
  }
  // The wrapper as Chef writes it, pointed at this checkout: bastion --help works.
  const wrapper = readFileSync(join(out, 'bastion'), 'utf8').replace('/opt/bastion/app', REPO)
  writeFileSync(join(work, 'bastion-here'), wrapper, { mode: 0o755 })
  const help = await execa(join(work, 'bastion-here'), ['--help'], { env: { NODE_OPTIONS: '--require /nonexistent.js' }, reject: false })
  t.equal(help.exitCode, 0, `NODE_OPTIONS from the caller does not reach the suite: ${help.stderr}`)
  t.match(help.stdout, /setup/)
  t.match(help.stdout, /doctor/)
})

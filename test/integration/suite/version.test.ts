// Every command of the suite answers --version (and -V) with its name and its package's
// version, as built, with no config file to read and nothing else printed.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { execa } from 'execa'

const REPO = resolve(import.meta.dirname, '../../..')
const NODE = '/opt/bastion/node/bin/node'
const COMMANDS = [
  { name: 'bastion', pkg: 'admin', bin: 'dist/bin/bastion.js' },
  { name: 'bastion-metadataproxy', pkg: 'metadataproxy', bin: 'dist/bin/bastion-metadataproxy.js' },
  { name: 'bastion-rbacsync', pkg: 'rbacsync', bin: 'dist/bin/bastion-rbacsync.js' },
  { name: 'bastion-shell-broker', pkg: 'shell', bin: 'dist/bin/bastion-shell-broker.js' }
]

for (const c of COMMANDS) {
  t.test(`${c.name} --version prints its name and version, needing no config`, async (t) => {
    const version = (JSON.parse(readFileSync(join(REPO, 'packages', c.pkg, 'package.json'), 'utf8')) as { version: string }).version
    for (const flag of ['--version', '-V']) {
      const r = await execa(NODE, [join(REPO, 'packages', c.pkg, c.bin), flag], { reject: false, env: { BASTION_CONFIG: '/nonexistent/bastion.yaml' } })
      t.equal(r.exitCode, 0, `${flag}: ${r.stderr}`)
      t.equal(r.stdout, `${c.name} ${version}`, flag)
      t.equal(r.stderr, '', `${flag}: nothing on stderr`)
    }
  })
}

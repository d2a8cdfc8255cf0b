// Docker's rules in one iptables backend and `iptables` in the other: the proxy refuses
// with a clear error instead of installing rules that no packet from a container would
// meet. On this host Docker uses nf_tables; a PATH where `iptables` is the legacy binary
// plays the other side. Nothing is listed through the legacy backend, so its kernel
// modules stay unloaded (its table list stays as it was).
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { startProxy, BIN, NODE } from '../../fixtures/proxy.ts'
import { EMULATOR_ENV } from '../../fixtures/testbed.ts'

const legacyTables = () => readFileSync('/proc/net/ip_tables_names', 'utf8')

t.test('with iptables on the legacy backend and Docker on nf_tables, install and serve refuse', async (t) => {
  const proxy = await startProxy(t, { skipIptables: true, start: false })
  const shim = mkdtempSync(join(tmpdir(), 'bt-legacy-'))
  t.teardown(() => rmSync(shim, { recursive: true, force: true }))
  symlinkSync('/usr/sbin/iptables-legacy', join(shim, 'iptables'))
  const env = { ...process.env, ...EMULATOR_ENV, NODE_OPTIONS: '', PATH: `${shim}:${process.env.PATH ?? ''}` }
  t.match((await execa('iptables', ['--version'], { env })).stdout, /\(legacy\)/, 'the shim is the legacy backend')
  const tablesBefore = legacyTables()
  const prefix = proxy.config.metadataproxy.iptables.chainPrefix as string
  for (const cmd of [['iptables', 'install'], ['iptables', 'check'], ['serve']]) {
    const r = await execa(NODE, [BIN, '--config', proxy.configPath, ...cmd], { env, reject: false })
    t.equal(r.exitCode, 2, `${cmd.join(' ')} exits 2`)
    t.match(r.stderr, /BASTION_METADATAPROXY_IPTABLES_BACKEND_MISMATCH/)
    t.match(r.stderr, /Docker's rules are in iptables nf_tables, but iptables on this host is legacy/)
  }
  t.equal(legacyTables(), tablesBefore, 'no legacy table was made')
  t.notMatch((await execa('iptables-save')).stdout, prefix, 'and no rule of ours in nf_tables either')
  // The same config with this host's own iptables is fine.
  t.equal((await proxy.cli('iptables', 'check')).exitCode, 1, 'the real backend: rules missing, no mismatch')
})

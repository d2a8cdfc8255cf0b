// Which iptables backend holds Docker's rules, and refusing when it is not ours.
import t from 'tap'
import { checkBackend, ourBackend } from '../../src/iptables/backend.ts'
import type { CommandRunner } from '../../src/iptables/iptables.ts'
import { isBastionError } from '../../src/errors.ts'

const DOCKER_FILTER = '-P INPUT ACCEPT\n-P FORWARD DROP\n-N DOCKER\n-N DOCKER-USER\n-A FORWARD -j DOCKER-USER\n'
const EMPTY_FILTER = '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n'

function host (o: { iptables: 'nf_tables' | 'legacy' | 'old' | 'none', nft?: string, legacy?: string }) {
  const calls: string[] = []
  const runner: CommandRunner = {
    async run (cmd, args) {
      calls.push([cmd, ...args].join(' '))
      if (cmd === 'iptables' && args[0] === '--version') {
        if (o.iptables === 'none') throw new Error('spawn iptables ENOENT')
        return { exitCode: 0, stdout: o.iptables === 'old' ? 'iptables v1.6.1' : `iptables v1.8.9 (${o.iptables})`, stderr: '' }
      }
      const dump = cmd === 'iptables-nft' ? o.nft : cmd === 'iptables-legacy' ? o.legacy : undefined
      if (dump === undefined) throw new Error(`spawn ${cmd} ENOENT`)
      return { exitCode: 0, stdout: dump, stderr: '' }
    }
  }
  return { runner, calls, legacyTables: async () => o.legacy === undefined ? '' : 'filter\nnat\n' }
}

t.test('iptables names its backend; before 1.8 it is legacy', async (t) => {
  t.equal(await ourBackend(host({ iptables: 'nf_tables' }).runner), 'nf_tables')
  t.equal(await ourBackend(host({ iptables: 'legacy' }).runner), 'legacy')
  t.equal(await ourBackend(host({ iptables: 'old' }).runner), 'legacy')
  try {
    await ourBackend(host({ iptables: 'none' }).runner)
    t.fail('expected an error')
  } catch (err) {
    t.ok(isBastionError(err, 'BASTION_METADATAPROXY_IPTABLES_FAILED'))
  }
})

t.test('Docker in our backend, or in none: fine, and the legacy tables are never listed unless they exist', async (t) => {
  const h = host({ iptables: 'nf_tables', nft: DOCKER_FILTER })
  t.equal(await checkBackend(h), 'nf_tables')
  t.notOk(h.calls.some((c) => c.startsWith('iptables-legacy')), 'no legacy listing, so no legacy modules loaded')
  t.equal(await checkBackend(host({ iptables: 'nf_tables', nft: EMPTY_FILTER })), 'nf_tables')
  t.equal(await checkBackend(host({ iptables: 'legacy', legacy: DOCKER_FILTER, nft: EMPTY_FILTER })), 'legacy')
  t.equal(await checkBackend(host({ iptables: 'legacy', legacy: DOCKER_FILTER })), 'legacy', 'no iptables-nft at all')
  t.equal(await checkBackend(host({ iptables: 'nf_tables', nft: DOCKER_FILTER, legacy: DOCKER_FILTER })), 'nf_tables', 'Docker in both: ours has it')
})

t.test('Docker only in the other backend is refused with a clear error', async (t) => {
  for (const [ours, o] of [['legacy', { nft: DOCKER_FILTER }], ['nf_tables', { nft: EMPTY_FILTER, legacy: DOCKER_FILTER }]] as const) {
    try {
      await checkBackend(host({ iptables: ours, ...o }))
      t.fail('expected a refusal')
    } catch (err) {
      t.ok(isBastionError(err, 'BASTION_METADATAPROXY_IPTABLES_BACKEND_MISMATCH'), ours)
      t.match((err as Error).message, new RegExp(`iptables on this host is ${ours}`))
      t.match((err as Error).message, /update-alternatives --set iptables/)
    }
  }
})

t.test('an aborted check stops', async (t) => {
  const controller = new AbortController()
  controller.abort(new Error('stop'))
  const runner: CommandRunner = { run: async () => { throw new Error('aborted') } }
  try {
    await checkBackend({ runner }, controller.signal)
    t.fail('expected the abort')
  } catch (err) {
    t.equal((err as Error).message, 'stop')
  }
})

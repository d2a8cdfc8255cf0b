// The agent binary as containers get it: only a file that root alone can change is
// mounted (it runs in every user's container as that user), and its fingerprint is
// computed once per version of the file.
import t from 'tap'
import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agentMount, type AgentCache } from '../../src/container/agent-binary.ts'

function dir (t: { teardown (fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'bt-agent-bin-'))
  t.teardown(() => rmSync(d, { recursive: true, force: true }))
  return d
}

t.test('a root-owned binary that only root can write is mounted, with the sha256 of its content', async (t) => {
  const path = join(dir(t), 'bastion-agent')
  writeFileSync(path, 'agent v1', { mode: 0o755 })
  const found = await agentMount(path)
  t.same(found, { mount: { hostPath: path, hash: createHash('sha256').update('agent v1').digest('hex').slice(0, 16) } })
})

t.test('a binary others can write, or that root does not own, is never used', async (t) => {
  const d = dir(t)
  const path = join(d, 'bastion-agent')
  writeFileSync(path, 'agent', { mode: 0o755 })
  for (const mode of [0o775, 0o757, 0o777]) {
    chmodSync(path, mode)
    t.match(await agentMount(path), { mount: null, why: /not owned by root alone/ }, mode.toString(8))
  }
  chmodSync(path, 0o755)
  chownSync(path, 65534, 0)
  t.match(await agentMount(path), { mount: null, why: /uid 65534/ })
})

t.test('a missing path or a directory gives no agent, with the reason', async (t) => {
  const d = dir(t)
  t.match(await agentMount(join(d, 'none')), { mount: null, why: /does not exist/ })
  mkdirSync(join(d, 'adir'))
  t.match(await agentMount(join(d, 'adir')), { mount: null, why: /is not a file/ })
})

t.test('the fingerprint is computed again only when the file changes', async (t) => {
  const d = dir(t)
  const path = join(d, 'bastion-agent')
  writeFileSync(path, 'agent v1', { mode: 0o755 })
  const cache: AgentCache = {}
  const first = await agentMount(path, cache)
  t.equal((await agentMount(path, cache)).mount, first.mount, 'the same object: no new hash')
  writeFileSync(join(d, 'next'), 'agent v2', { mode: 0o755 })
  rmSync(path)
  symlinkSync(join(d, 'next'), path)
  const second = await agentMount(path, cache)
  t.not(second.mount?.hash, first.mount?.hash, 'a new version, a new hash')
})

t.test('a binary under a directory that is a symbolic link, or that others can write, is never used', async (t) => {
  const d = dir(t)
  mkdirSync(join(d, 'real'), { mode: 0o755 })
  writeFileSync(join(d, 'real', 'bastion-agent'), 'agent', { mode: 0o755 })
  t.ok((await agentMount(join(d, 'real', 'bastion-agent'))).mount !== null, 'the control: its own directory is fine')
  symlinkSync(join(d, 'real'), join(d, 'linked'))
  t.match(await agentMount(join(d, 'linked', 'bastion-agent')), { mount: null, why: new RegExp(`${d}/linked is a symbolic link`) })
  mkdirSync(join(d, 'open'), { mode: 0o777 })
  chmodSync(join(d, 'open'), 0o777)
  writeFileSync(join(d, 'open', 'bastion-agent'), 'agent', { mode: 0o755 })
  t.match(await agentMount(join(d, 'open', 'bastion-agent')), { mount: null, why: /open is writable by group or others \(mode 777\)/ })
  symlinkSync(join(d, 'open', 'bastion-agent'), join(d, 'real', 'via-link'))
  t.match(await agentMount(join(d, 'real', 'via-link')), { mount: null, why: /open is writable by group or others/, }, 'a link is judged by where it points too')
  mkdirSync(join(d, 'theirs'), { mode: 0o755 })
  chownSync(join(d, 'theirs'), 65534, 65534)
  writeFileSync(join(d, 'theirs', 'bastion-agent'), 'agent', { mode: 0o755 })
  t.match(await agentMount(join(d, 'theirs', 'bastion-agent')), { mount: null, why: /theirs is not owned by root \(uid 65534\)/ })
})

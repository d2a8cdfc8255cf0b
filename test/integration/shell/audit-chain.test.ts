// The session log's hash chain (issue 16, item 5) on the real sshd and broker: sessions
// of two users at once, across several workers, leave one unbroken chain that
// `bastion audit --verify` accepts; a copy with one line edited is refused at the line
// after it, and one with a line taken out where the gap is.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssh } from '../../fixtures/ssh.ts'
import { SESSIONS, SHELL_CONFIG } from '../../fixtures/shell.ts'
import { bastion } from '../../fixtures/toolbox.ts'

const lines = (): string[] => readFileSync(SESSIONS, 'utf8').split('\n').filter((l) => l !== '')

t.test('sessions at once keep one chain, which --verify accepts; an edit or a line taken out is found', async (t) => {
  const from = lines().length
  const marker = `chain-${Date.now()}`
  const runs = await Promise.all(['bt-alice', 'bt-bob', 'bt-alice', 'bt-bob', 'bt-alice', 'bt-bob'].map((u, i) => ssh(u, `echo ${marker}-${i}`, { timeoutMs: 60_000 })))
  t.same(runs.map((r) => r.exitCode), [0, 0, 0, 0, 0, 0])
  const mine = lines().slice(from).filter((l) => l.includes(marker))
  t.equal(mine.length, 12, 'a start and an end line for each of the six sessions')
  t.ok(mine.every((l) => /"prev":"[0-9a-f]{64}"/.test(l)), 'each chained to the line before it')
  const ok = await bastion(SHELL_CONFIG, ['audit', '--verify'])
  t.equal(ok.exitCode, 0, ok.stderr)
  t.match(ok.stdout, /^bastion audit: the session log's chain is unbroken: \d+ lines in \d+ files? \(/)

  // Copies, so the bed's own log stays as it is.
  const dir = t.testdir()
  const all = readFileSync(SESSIONS, 'utf8').split('\n')
  const at = all.findIndex((l) => l.includes(`${marker}-2`))
  const edited = [...all]
  edited[at] = (edited[at] as string).replace(`${marker}-2`, `${marker}-X`)
  writeFileSync(join(dir, 'edited.jsonl'), edited.join('\n'))
  const e = await bastion(SHELL_CONFIG, ['audit', '--verify', '--sessions', join(dir, 'edited.jsonl')])
  t.equal(e.exitCode, 1)
  t.match(e.stderr, `edited.jsonl, line ${at + 2}: "prev" does not match the line before it`)
  t.match(e.stderr, '(BASTION_ADMIN_AUDIT_CHAIN_BROKEN)')
  writeFileSync(join(dir, 'cut.jsonl'), [...all.slice(0, at), ...all.slice(at + 1)].join('\n'))
  const c = await bastion(SHELL_CONFIG, ['audit', '--verify', '--sessions', join(dir, 'cut.jsonl')])
  t.equal(c.exitCode, 1)
  t.match(c.stderr, `cut.jsonl, line ${at + 1}: "prev" does not match`)
})

// The session log against the copy shipped off the host: every shipped line must be in
// the local log byte for byte; a line shipped twice counts once; another host's stream
// under the same prefix is not this host's copy.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { appendChained } from '../../../shell/src/audit-chain.ts'
import { compareWithShipped } from '../../src/audit/verify-shipped.ts'
import { fakeLogs, logEvent } from './cloudwatch-fakes.ts'
import { tempDir } from './fixtures.ts'

const settings = { pageSize: 2, maxAttempts: 3, timeoutMs: 1000 }
const group = { region: 'us-east-1', logGroup: '/bastion/sessions' }

function chainedLog (dir: string, n: number): { file: string, lines: string[] } {
  const file = join(dir, 'sessions.jsonl')
  for (let i = 0; i < n; i++) appendChained(file, { time: `2026-12-07T08:0${i}:00.000Z`, event: 'session-start', session: `s${i}` })
  return { file, lines: readFileSync(file, 'utf8').trimEnd().split('\n') }
}

t.test('a copy the local log holds all of; local lines not shipped yet are counted', async (t) => {
  const { file, lines } = chainedLog(tempDir(t), 5)
  const events = [...lines.slice(0, 4), lines[1] as string].map((l) => logEvent('bastion-a', l))
  const api = fakeLogs({ [group.logGroup]: [...events, logEvent('bastion-a2', '{"event":"session-start","session":"elsewhere"}')] })
  const warnings: string[] = []
  const c = await compareWithShipped({ api, settings }, group, 'bastion-a', [file], { add: (m) => { warnings.push(m) } })
  t.same(c, { shipped: 4, local: 5, notLocal: 0, notShipped: 1 }, 'the duplicate counts once, bastion-a2 is not read as bastion-a')
  t.same(warnings, [])
  t.match(api.calls[0], { logGroupName: group.logGroup, logStreamNamePrefix: 'bastion-a', filterPattern: '' })
  t.ok(api.calls.length >= 3, 'page after page')
})

t.test('a local log rewritten whole after shipping, its chain consistent, is caught; so is a cut end', async (t) => {
  const dir = tempDir(t)
  const { file, lines } = chainedLog(dir, 4)
  const api = fakeLogs({ [group.logGroup]: lines.map((l) => logEvent('bastion-a', l)) })
  // Someone with root writes the same log again with session s2's line left out: a
  // chain that verifies on its own.
  writeFileSync(file, '')
  for (const i of [0, 1, 3]) appendChained(file, { time: `2026-12-07T08:0${i}:00.000Z`, event: 'session-start', session: `s${i}` })
  const c = await compareWithShipped({ api, settings }, group, 'bastion-a', [file], { add: () => {} })
  t.equal(c.notLocal, 2, 's2\'s line and s3\'s (its prev changed) are not in the local log')
  t.same(c.firstNotLocal, { line: 3, time: '2026-12-07T08:02:00.000Z', event: 'session-start', session: 's2' }, 'the first is named')

  const cut = chainedLog(tempDir(t), 3)
  writeFileSync(cut.file, cut.lines.slice(0, 2).join('\n') + '\n')
  const api2 = fakeLogs({ [group.logGroup]: cut.lines.map((l) => logEvent('bastion-a', l)) })
  t.match(await compareWithShipped({ api: api2, settings }, group, 'bastion-a', [cut.file], { add: () => {} }), { shipped: 3, notLocal: 1, firstNotLocal: { session: 's2' } })
})

t.test('no copy: nothing shipped, and a missing group is a warning', async (t) => {
  const { file } = chainedLog(tempDir(t), 2)
  const warnings: string[] = []
  const c = await compareWithShipped({ api: fakeLogs({}), settings }, group, 'bastion-a', [file], { add: (m) => { warnings.push(m) } })
  t.same(c, { shipped: 0, local: 2, notLocal: 0, notShipped: 2 })
  t.match(warnings, [/log group \/bastion\/sessions does not exist/])
})

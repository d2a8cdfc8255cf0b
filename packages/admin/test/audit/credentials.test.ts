import t from 'tap'
import { join } from 'node:path'
import { credentialEntries } from '../../src/audit/credentials.ts'
import { ACCOUNT, collect, issued, tempDir, writeLines } from './fixtures.ts'

t.test('credentials issued to the user\'s containers, never to another user\'s', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'credentials.jsonl'), [
    issued('carol', '2026-11-26T20:00:00.000Z', 'AAAA'),
    issued('carol2', '2026-11-26T20:00:01.000Z', 'BBBB'),
    { level: 30, time: Date.parse('2026-11-26T20:00:02.000Z'), user: 'carol', msg: 'an operator line, not audit' },
    issued('carol', '2026-11-26T20:00:03.000Z', 'CCCC')
  ])
  const w = collect()
  const got = await credentialEntries(file, 'carol', w)
  t.same(w.all, [])
  t.same(got.map((e) => [e.time, e.accessKeyIdSuffix]), [['2026-11-26T20:00:00.000Z', 'AAAA'], ['2026-11-26T20:00:03.000Z', 'CCCC']])
  t.match(got[0], { kind: 'credentials', role: `arn:aws:iam::${ACCOUNT}:role/k8s-access/carol`, container: 'shell-carol-0123456789', containerId: 'abcdef012345', ip: '10.250.0.2', expiration: '2026-11-26T22:00:00Z' })
})

t.test('at most four characters of an access key id are ever kept', async (t) => {
  const dir = tempDir(t)
  const file = writeLines(join(dir, 'credentials.jsonl'), [{ ...issued('carol', '2026-11-26T20:00:00.000Z', 'x'), accessKeyIdSuffix: 'ASIAFULLKEYID0WXYZ' }])
  const got = await credentialEntries(file, 'carol', collect())
  t.equal(got[0]?.accessKeyIdSuffix, 'WXYZ')
  t.notMatch(JSON.stringify(got), /ASIAFULL/)
})

t.test('an issuance line without its fields is skipped with a warning; duplicates count once', async (t) => {
  const dir = tempDir(t)
  const good = issued('carol', '2026-11-26T20:00:00.000Z', 'AAAA')
  const file = writeLines(join(dir, 'credentials.jsonl'), [
    good, good,
    { audit: 'credential-issued', user: 'carol', time: 'never', role: 'r', container: 'c', accessKeyIdSuffix: 'X' },
    { audit: 'credential-issued', user: 'carol', time: 1 },
    { audit: 'credential-issued', user: 'carol', time: 1, role: 'r', container: 'c', accessKeyIdSuffix: 'DDDD' }
  ])
  const w = collect()
  const got = await credentialEntries(file, 'carol', w, 'bastion-a')
  t.same(got.map((e) => e.accessKeyIdSuffix), ['AAAA', 'DDDD'])
  t.same(got[1], { kind: 'credentials', time: '1970-01-01T00:00:00.001Z', origin: { file, line: 5 }, host: 'bastion-a', role: 'r', container: 'c', containerId: '', ip: '', accessKeyIdSuffix: 'DDDD', expiration: '' })
  t.same(w.all, [`credentials: ${file}: 2 lines (3, 4) of carol skipped, not a credential-issued record`])
})

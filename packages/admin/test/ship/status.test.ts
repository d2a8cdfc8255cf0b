// status.json: written whole, read back, and anything else reported as missing.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { readStatus, statusPath, writeStatus, type ShipStatus } from '../../src/ship/status.ts'
import { tempDir } from './fixtures.ts'

const STATUS: ShipStatus = { version: 1, host: 'b', region: 'us-east-1', pid: 1, updatedAt: '2026-12-07T08:00:00.000Z', intervalMs: 2000, lastSuccessAt: null, lastError: null, sources: [] }

t.test('written and read back; missing, torn or foreign: why', async (t) => {
  const dir = tempDir(t)
  t.match(await readStatus(dir), { missing: /status\.json cannot be read \(ENOENT\)/ })
  await writeStatus(dir, STATUS)
  t.same(await readStatus(dir), { status: STATUS })
  writeFileSync(statusPath(dir), '{"version":1')
  t.match(await readStatus(dir), { missing: /is not bastion ship's status/ })
  writeFileSync(statusPath(dir), '{"version":1,"sources":{}}')
  t.match(await readStatus(dir), { missing: /is not bastion ship's status/ })
})

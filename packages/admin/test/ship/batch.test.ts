// Event times and the limits of one batch.
import t from 'tap'
import { Batch, EVENT_OVERHEAD, MAX_BATCH_BYTES, eventTime, lineTime } from '../../src/ship/batch.ts'

t.test('a line\'s time: ISO 8601 or epoch milliseconds; anything else is none', async (t) => {
  t.equal(lineTime('{"time":"2026-12-07T08:00:00.000Z"}'), Date.UTC(2026, 11, 7, 8))
  t.equal(lineTime('{"time":1796630400000}'), 1796630400000)
  for (const l of ['{"time":"soon"}', '{"time":null}', 'null', '[]', 'x', '{}']) t.equal(lineTime(l), undefined, l)
  const now = Date.UTC(2026, 11, 7, 9)
  t.equal(eventTime('x', 0, now), now, 'no time and nothing before: now')
  t.equal(eventTime('x', now - 5, now), now - 5, 'no time: the one before')
  t.equal(eventTime('{"time":1}', 0, now), now - 14 * 86_400_000 + 3_600_000, 'older than CloudWatch takes: as old as it takes')
})

t.test('a batch takes an event while count, bytes and span allow', async (t) => {
  const b = new Batch(10)
  t.equal(b.end, 10)
  const big = 'x'.repeat(MAX_BATCH_BYTES / 2 - EVENT_OVERHEAD)
  t.ok(b.fits({ timestamp: 0, message: big }))
  b.add({ timestamp: 0, message: big }, 20)
  t.ok(b.fits({ timestamp: 0, message: big }))
  b.add({ timestamp: 0, message: big }, 30)
  t.notOk(b.fits({ timestamp: 0, message: 'y' }), 'full')
  const c = new Batch(0)
  c.add({ timestamp: 0, message: 'a' }, 2)
  t.notOk(c.fits({ timestamp: 24 * 3_600_000, message: 'b' }), 'a day later')
  t.ok(c.fits({ timestamp: 24 * 3_600_000 - 1, message: 'b' }))
  c.skip(5)
  t.equal(c.end, 5)
})

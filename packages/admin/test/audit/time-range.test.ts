import t from 'tap'
import { inRange, parseTimeArg } from '../../src/audit/time-range.ts'

const NOW = Date.parse('2026-11-26T20:00:00.000Z')

t.test('spans back from now', async (t) => {
  t.equal(parseTimeArg('90m', NOW), '2026-11-26T18:30:00.000Z')
  t.equal(parseTimeArg('12h', NOW), '2026-11-26T08:00:00.000Z')
  t.equal(parseTimeArg('7d', NOW), '2026-11-19T20:00:00.000Z')
  t.equal(parseTimeArg('2w', NOW), '2026-11-12T20:00:00.000Z')
  t.equal(parseTimeArg(' 30s ', NOW), '2026-11-26T19:59:30.000Z')
})

t.test('ISO 8601 dates and times, in UTC', async (t) => {
  t.equal(parseTimeArg('2026-11-26', NOW), '2026-11-26T00:00:00.000Z')
  t.equal(parseTimeArg('2026-11-26T21:00:00+01:00', NOW), '2026-11-26T20:00:00.000Z')
})

t.test('anything else is refused', async (t) => {
  for (const bad of ['yesterday', '12', '5y', '2026-13-45', '', 'Nov 26 2026']) t.equal(parseTimeArg(bad, NOW), undefined, bad)
})

t.test('inRange includes both ends and leaves an open end open', async (t) => {
  t.ok(inRange('2026-01-01T00:00:00.000Z', {}))
  t.ok(inRange('b', { since: 'b', until: 'b' }))
  t.notOk(inRange('a', { since: 'b' }))
  t.notOk(inRange('c', { until: 'b' }))
})

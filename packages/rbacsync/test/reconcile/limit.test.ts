// Bounded concurrency.
import t from 'tap'
import { mapLimit } from '../../src/reconcile/limit.ts'

t.test('keeps the order, never runs more than the limit at once', async (t) => {
  let running = 0
  let peak = 0
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
    running++
    peak = Math.max(peak, running)
    await new Promise((resolve) => setTimeout(resolve, x))
    running--
    return x * 10
  })
  t.same(out, [50, 10, 40, 20, 30])
  t.equal(peak, 2)
  t.same(await mapLimit([], 4, async (x: number) => x), [])
})

t.test('a rejection rejects the whole', async (t) => {
  await t.rejects(mapLimit([1, 2], 2, async (x) => { if (x === 2) throw new Error('two'); return x }), { message: 'two' })
})

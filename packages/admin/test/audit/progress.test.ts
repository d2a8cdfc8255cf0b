import t from 'tap'
import { progressLine } from '../../src/audit/progress.ts'

const stream = (isTTY: boolean) => {
  const out: string[] = []
  return { isTTY, out, write: (s: string) => { out.push(s) } }
}

t.test('on a terminal, one line redrawn per page, cleared at the end', async (t) => {
  const s = stream(true)
  const p = progressLine(s)
  p.page('kubernetes (hyades)', 1, 1)
  p.page('kubernetes (hyades)', 2, 20)
  p.done()
  p.done()
  t.same(s.out, [
    '\r\x1b[2Kbastion audit: reading kubernetes (hyades) from CloudWatch Logs: page 1, 1 event',
    '\r\x1b[2Kbastion audit: reading kubernetes (hyades) from CloudWatch Logs: page 2, 20 events',
    '\r\x1b[2K'
  ])
})

t.test('nothing is drawn when nothing was fetched, and never off a terminal', async (t) => {
  const quiet = stream(true)
  progressLine(quiet).done()
  t.same(quiet.out, [])
  const piped = stream(false)
  const p = progressLine(piped)
  p.page('x', 1, 5)
  p.done()
  t.same(piped.out, [])
})

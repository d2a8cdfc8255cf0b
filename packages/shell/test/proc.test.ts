// Reading host processes: liveness and parent pids from /proc stat lines.
import t from 'tap'
import { alive, ppidOf, startTimeOf } from '../src/proc.ts'

t.test('ppidOf reads the parent pid even when the command name has spaces and parentheses', async (t) => {
  t.equal(ppidOf('1234 (bash) S 99 1234 1234 0 -1'), 99)
  t.equal(ppidOf('1234 (my (odd) name) S 77 1234 1234 0 -1'), 77)
  t.ok(Number.isNaN(ppidOf('garbage')))
})

t.test('alive is true for this process and false for a pid that does not exist', async (t) => {
  t.equal(alive(process.pid), true)
  t.equal(alive(2 ** 22 + 12345), false)
})

t.test('startTimeOf gives a live process its start time, the same each time, and nothing for a gone one', async (t) => {
  const mine = await startTimeOf(process.pid)
  t.match(mine, /^[0-9]+$/)
  t.equal(await startTimeOf(process.pid), mine)
  t.not(await startTimeOf(1), undefined)
  t.equal(await startTimeOf(2 ** 22 + 12345), undefined)
})

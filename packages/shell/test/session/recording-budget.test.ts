// A new recording's cap: the session's, or what is left of the user's over their files.
import t from 'tap'
import { recordingBudget } from '../../src/session/recording-budget.ts'
import { testConfig } from '../fixtures/config.ts'

t.test('the session cap while the user has room, what is left once that is less, never below 0', async (t) => {
  const dir = t.testdir({ alice: { 'a.cast': 'x'.repeat(3000), 'b.cast': 'y'.repeat(2000), sub: {} }, bob: {} })
  const config = (session: number, user: number) => testConfig({ shell: { audit: { recordingsDir: dir, maxSessionRecordingKb: session, maxUserRecordingsKb: user } } })
  t.same(await recordingBudget(config(4, 100), 'alice'), { maxBytes: 4096, scope: 'session' })
  t.same(await recordingBudget(config(4, 8), 'alice'), { maxBytes: 8192 - 5000, scope: 'user' })
  t.same(await recordingBudget(config(4, 4), 'alice'), { maxBytes: 0, scope: 'user' })
  t.same(await recordingBudget(config(4, 4), 'bob'), { maxBytes: 4096, scope: 'session' })
  t.same(await recordingBudget(config(4, 4), 'nobody-yet'), { maxBytes: 4096, scope: 'session' }, 'no directory yet: nothing used')
})

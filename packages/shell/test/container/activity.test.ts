// The activity marks gc measures idleness from.
import t from 'tap'
import { statSync, utimesSync } from 'node:fs'
import { activityFile, touchActivity } from '../../src/container/activity.ts'
import { testConfig } from '../fixtures/config.ts'

t.test('touchActivity creates the mark, then moves its mtime to now', async (t) => {
  const dir = t.testdir({})
  const config = testConfig({ shell: { stateDir: dir } })
  await touchActivity(config, 'shell-x')
  const file = activityFile(config, 'shell-x')
  const old = new Date(Date.now() - 3600_000)
  utimesSync(file, old, old)
  await touchActivity(config, 'shell-x')
  t.ok(Date.now() - statSync(file).mtimeMs < 10_000)
})

// This host's instance id, from the DMI asset tag Nitro instances carry.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { localInstanceId } from '../../src/doctor/instance-id.ts'
import { scratchDir } from '../setup/fixtures.ts'

t.test('an instance id in the asset tag is read; anything else, or no file, is no id', async (t) => {
  const dir = scratchDir(t)
  const tag = join(dir, 'board_asset_tag')
  writeFileSync(tag, 'i-0123456789abcdef0\n')
  t.equal(await localInstanceId(tag), 'i-0123456789abcdef0')
  writeFileSync(tag, 'Default string\n')
  t.equal(await localInstanceId(tag), undefined)
  t.equal(await localInstanceId(join(dir, 'missing')), undefined)
})

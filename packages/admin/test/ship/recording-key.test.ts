// S3 keys of recordings: <prefix><host>/<user>/<file>, and nothing that could climb out
// of the prefix.
import t from 'tap'
import { isRecordingName, recordingKey, sessionOfRecording, validPrefix } from '../../src/ship/recording-key.ts'

const FILE = '2026-12-07T07-00-00-000Z-0123456789ab.cast'

t.test('the key is prefix, host, user and file; a later version sits beside the first', async (t) => {
  t.equal(recordingKey('bastion/recordings/', 'bastion-1', 'John.Smith', FILE), `bastion/recordings/bastion-1/John.Smith/${FILE}`)
  t.equal(recordingKey('', 'h', 'a@corp', FILE, 3), 'h/a@corp/2026-12-07T07-00-00-000Z-0123456789ab.v3.cast')
  t.equal(sessionOfRecording(FILE), '0123456789ab')
  t.equal(sessionOfRecording('other.cast'), null)
})

t.test('no part can climb out of the prefix or start at the root', async (t) => {
  for (const bad of ['..', '.', 'a/b', '.hidden', '', 'a\nb', 'x..y']) {
    t.throws(() => recordingKey('p/', 'h', bad, FILE), /user/, `user ${JSON.stringify(bad)}`)
    t.throws(() => recordingKey('p/', bad, 'u', FILE), /host/, `host ${JSON.stringify(bad)}`)
  }
  for (const bad of ['../x.cast', 'x.txt', '.x.cast', 'a b.cast', 'x..cast']) t.notOk(isRecordingName(bad), bad)
  t.throws(() => recordingKey('p/', 'h', 'u', 'x.txt'), /recording/)
  for (const bad of ['/abs/', 'a/../b/', './x/', 'a//b/', 'a\\b/', 'a\u0000/']) t.notOk(validPrefix(bad), bad)
  for (const good of ['', 'bastion/recordings/', 'rec-', 'a/b']) t.ok(validPrefix(good), good)
  t.throws(() => recordingKey('/abs/', 'h', 'u', FILE), /prefix/)
})

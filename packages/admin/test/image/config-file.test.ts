// Setting shell.image changes those bytes of the config file and no others: comments,
// alignment and blank lines survive, and a file the shell would refuse is never written.
import t from 'tap'
import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { setConfiguredImage, withShellImage } from '../../src/image/config-file.ts'

const FILE = `# /etc/bastion/bastion.yaml
aws:
  accountId: "123456789012"      # required: the account

shell:
  image: "bastion/toolbox:old"   # the image of every container
  allowedGroup: bastion-users    # who may log in
  limits:
    pids: 128

# the end
`

t.test('a quoted image is replaced in place; every other byte stays', async (t) => {
  const out = withShellImage(FILE, 'bastion/toolbox:offline-20261126T210000Z')
  t.equal(out, FILE.replace('"bastion/toolbox:old"', 'bastion/toolbox:offline-20261126T210000Z'))
})

t.test('a plain image with a comment after it keeps the comment and its column', async (t) => {
  const text = 'shell:\n  image: a:1                # the image\n'
  t.equal(withShellImage(text, 'b:2'), 'shell:\n  image: b:2                # the image\n')
})

t.test('a shell section without image gets the key at its own indentation', async (t) => {
  const text = '# top\nshell:\n    allowedGroup: x   # who\n    limits: {pids: 64}\nnetwork:\n  name: n\n'
  t.equal(withShellImage(text, 'b:2'), '# top\nshell:\n    image: b:2\n    allowedGroup: x   # who\n    limits: {pids: 64}\nnetwork:\n  name: n\n')
})

t.test('a file without a shell section gets one at the end', async (t) => {
  t.equal(withShellImage('# only a comment\naws:\n  accountId: "1"\n', 'b:2'), '# only a comment\naws:\n  accountId: "1"\n\nshell:\n  image: b:2\n')
  t.equal(withShellImage('aws: {}', 'b:2'), 'aws: {}\n\nshell:\n  image: b:2\n')
  t.equal(withShellImage('', 'b:2'), '\nshell:\n  image: b:2\n')
})

t.test('unusual shapes (flow map, empty section) are written by the library, still correct', async (t) => {
  t.match(withShellImage('shell: {image: a:1, allowedGroup: g}\n', 'b:2'), /image: b:2/)
  t.match(withShellImage('shell:\n# nothing yet\naws: {}\n', 'b:2'), /shell:\n\s+image: b:2/)
})

t.test('a value needing quotes is quoted', async (t) => {
  const out = withShellImage('shell:\n  image: a:1\n', 'sha256:' + 'a'.repeat(64))
  t.equal(out, `shell:\n  image: sha256:${'a'.repeat(64)}\n`)
})

t.test('setConfiguredImage writes atomically, keeps mode and owner, and says whether it changed', async (t) => {
  const dir = t.testdir({ 'bastion.yaml': FILE })
  const path = join(dir, 'bastion.yaml')
  chmodSync(path, 0o640)
  const ino = statSync(path).ino
  t.equal(await setConfiguredImage(path, FILE, 'bastion/toolbox:new'), true)
  const s = statSync(path)
  t.not(s.ino, ino)
  t.equal(s.mode & 0o777, 0o640)
  t.match(readFileSync(path, 'utf8'), /image: bastion\/toolbox:new {3}# the image of every container/)
  t.equal(await setConfiguredImage(path, readFileSync(path, 'utf8'), 'bastion/toolbox:new'), false, 'already so')
})

t.test('an edit the shell would refuse is not written', async (t) => {
  const bad = 'shell:\n  image: a:1\n  imagee: typo\n'
  const dir = t.testdir({ 'bastion.yaml': bad })
  const path = join(dir, 'bastion.yaml')
  await t.rejects(setConfiguredImage(path, bad, 'b:2'), { code: 'BASTION_ADMIN_IMAGE_CONFIG_WRITE_FAILED', message: /shell\.imagee: unknown key/ })
  t.equal(readFileSync(path, 'utf8'), bad)
})

t.test('a file that vanished cannot be rewritten', async (t) => {
  const dir = t.testdir({})
  await t.rejects(setConfiguredImage(join(dir, 'gone.yaml'), 'shell:\n  image: a:1\n', 'b:2'), { code: 'BASTION_ADMIN_IMAGE_CONFIG_WRITE_FAILED', message: /cannot write/ })
  writeFileSync(join(dir, 'x'), '')
})

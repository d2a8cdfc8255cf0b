// Image-backed homes with a fake host (mount, mkfs): the home is a plain directory
// without a limit; with one, an image is made (with the home's files, or refused with
// nothing changed when they do not fit), mounted once, and kept; a failure to make or
// mount it refuses the login with a code. The real mount is the integration suite's
// (test/integration/shell/home-limit.test.ts).
import t, { type Test } from 'tap'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { IMAGES_DIR, ensureHome, homeIsImage, imageOf, releaseHome, type HomeHost } from '../../src/container/home-image.ts'
import { alice, testConfig } from '../fixtures/config.ts'
import { captureLog, silentLogger } from '../fixtures/log.ts'

interface FakeHost extends HomeHost {
  mounts: Map<string, string>
  made: Array<{ image: string, sizeMb: number, from: string | undefined, files: string[] }>
  unmounted: string[]
}

function fakeHost (behaviour: { make?: 'made' | 'too-large' | Error, mount?: Error } = {}): FakeHost {
  const host: FakeHost = {
    mounts: new Map(),
    made: [],
    unmounted: [],
    mounted: async (path) => host.mounts.has(path),
    makeImage: async (image, sizeMb, from) => {
      host.made.push({ image, sizeMb, from, files: from === undefined ? [] : readdirSync(from) })
      writeFileSync(image, 'ext4')
      if (behaviour.make instanceof Error) throw behaviour.make
      return behaviour.make ?? 'made'
    },
    mount: async (image, at) => {
      if (behaviour.mount !== undefined) throw behaviour.mount
      host.mounts.set(at, image)
    },
    unmount: async (at) => { host.unmounted.push(at); host.mounts.delete(at) }
  }
  return host
}

function setup (t: Test, sizeMb: number, home: Record<string, string> | undefined = undefined) {
  const root = t.testdir({ home: home === undefined ? {} : { alice: home } })
  const config = testConfig({ shell: { homeRoot: join(root, 'home'), homes: { sizeMb } } })
  return { config, home: join(root, 'home', 'alice'), image: join(root, 'home', IMAGES_DIR, 'alice.img') }
}

t.test('without a limit the home is a plain directory of the user\'s, and nothing is mounted', async (t) => {
  const { config, home } = setup(t, 0)
  const host = fakeHost()
  t.equal(await ensureHome(config, alice, host, silentLogger()), home)
  const st = statSync(home)
  t.same([st.uid, st.gid, st.mode & 0o777], [alice.uid, alice.gid, 0o700])
  t.same(host.made, [])
  t.same([...host.mounts], [])
  t.equal(await homeIsImage(config, 'alice'), false)
})

t.test('with a limit, a new home gets an empty image of that size, mounted on it, in a directory of root\'s alone', async (t) => {
  const { config, home, image } = setup(t, 64)
  const host = fakeHost()
  const log = captureLog()
  await ensureHome(config, alice, host, log.logger)
  t.same(host.made, [{ image: `${image}.new`, sizeMb: 64, from: undefined, files: [] }], 'made aside, with nothing to copy')
  t.ok(existsSync(image), 'then renamed into place')
  t.notOk(existsSync(`${image}.new`))
  t.same([...host.mounts], [[home, image]])
  const dir = statSync(join(config.shell.homeRoot, IMAGES_DIR))
  t.same([dir.uid, dir.mode & 0o777], [0, 0o700], 'the images are root\'s alone')
  t.same([statSync(home).uid, statSync(home).mode & 0o777], [alice.uid, 0o700], 'the mounted home is the user\'s')
  t.ok(log.records().some((r) => r.msg === 'made the home image' && r.copied === false))
  t.ok(log.records().some((r) => r.msg === 'mounted the home image'))
})

t.test('a home already mounted (a second login, a broker restart) is neither made nor mounted again', async (t) => {
  const { config, home, image } = setup(t, 64)
  const host = fakeHost()
  await ensureHome(config, alice, host, silentLogger())
  await ensureHome(config, alice, host, silentLogger())
  t.equal(host.made.length, 1)
  t.same([...host.mounts], [[home, image]])
})

t.test('an image that exists but is not mounted (after a reboot) is mounted as it is', async (t) => {
  const { config, home, image } = setup(t, 64)
  const host = fakeHost()
  await ensureHome(config, alice, host, silentLogger())
  host.mounts.clear()
  await ensureHome(config, alice, host, silentLogger())
  t.equal(host.made.length, 1, 'not made again')
  t.same([...host.mounts], [[home, image]])
})

t.test('a home with files when the limit is turned on is copied into its image, and the copies below the mount are removed', async (t) => {
  const { config, home, image } = setup(t, 64, { 'notes.txt': 'mine', '.bashrc': 'x' })
  const host = fakeHost()
  const log = captureLog()
  await ensureHome(config, alice, host, log.logger)
  t.same(host.made, [{ image: `${image}.new`, sizeMb: 64, from: home, files: ['.bashrc', 'notes.txt'] }])
  t.same(readdirSync(home), [], 'the files are in the image, not left to take space below it')
  t.ok(log.records().some((r) => r.msg === 'made the home image, with the files the home held' && r.copied === true))
})

t.test('a home whose files do not fit: BASTION_SHELL_HOME_TOO_LARGE, the files stay and no image is left', async (t) => {
  const { config, home, image } = setup(t, 16, { 'big.bin': 'x'.repeat(100) })
  const host = fakeHost({ make: 'too-large' })
  await t.rejects(ensureHome(config, alice, host, silentLogger()), { code: 'BASTION_SHELL_HOME_TOO_LARGE', message: /do not fit in 16 MiB/ })
  t.same(readdirSync(home), ['big.bin'])
  t.notOk(existsSync(image))
  t.notOk(existsSync(`${image}.new`))
  t.same([...host.mounts], [])
})

t.test('an image that cannot be made (no mkfs, a full disk): BASTION_SHELL_HOME_UNAVAILABLE and no image left', async (t) => {
  const { config, home, image } = setup(t, 64, { 'notes.txt': 'mine' })
  const host = fakeHost({ make: new Error('mkfs.ext4: not found') })
  await t.rejects(ensureHome(config, alice, host, silentLogger()), { code: 'BASTION_SHELL_HOME_UNAVAILABLE', message: /could not be made: mkfs\.ext4: not found/ })
  t.notOk(existsSync(image))
  t.notOk(existsSync(`${image}.new`))
  t.same(readdirSync(home), ['notes.txt'])
})

t.test('an image that does not mount (damaged, no loop device): BASTION_SHELL_HOME_UNAVAILABLE, the image is kept, and the log says how to check it', async (t) => {
  const { config, image } = setup(t, 64)
  const host = fakeHost({ mount: new Error('wrong fs type') })
  await t.rejects(ensureHome(config, alice, host, silentLogger()), { code: 'BASTION_SHELL_HOME_UNAVAILABLE', message: new RegExp(`e2fsck -f ${image}`) })
  t.ok(existsSync(image), 'never removed: it holds the user\'s files')
})

t.test('an image made while the limit was on stays the home after it is turned off', async (t) => {
  const { config, home, image } = setup(t, 64)
  const host = fakeHost()
  await ensureHome(config, alice, host, silentLogger())
  host.mounts.clear()
  const off = testConfig({ shell: { homeRoot: config.shell.homeRoot, homes: { sizeMb: 0 } } })
  t.equal(await homeIsImage(off, 'alice'), true)
  await ensureHome(off, alice, host, silentLogger())
  t.same([...host.mounts], [[home, image]])
})

t.test('releaseHome unmounts a mounted home, and does nothing to a plain one', async (t) => {
  const { config, home } = setup(t, 64)
  const host = fakeHost()
  t.equal(await releaseHome(config, 'alice', host), false)
  await ensureHome(config, alice, host, silentLogger())
  t.equal(await releaseHome(config, 'alice', host), true)
  t.same(host.unmounted, [home])
  t.equal(imageOf(config, 'alice'), join(config.shell.homeRoot, '.images', 'alice.img'))
})

t.test('the size limit is 0 or at least 16 MiB', async (t) => {
  t.throws(() => testConfig({ shell: { homes: { sizeMb: 8 } } }), /sizeMb/)
  t.equal(testConfig({}).shell.homes.sizeMb, 0, 'off by default')
  t.equal(testConfig({ shell: { homes: { sizeMb: 16 } } }).shell.homes.sizeMb, 16)
})

// Homes have a size limit (issue 11, item 2), on the real sshd, broker, Docker and loop
// devices: with shell.homes.sizeMb, each home is an ext4 image loop-mounted nosuid,nodev
// before the container is made. A user who writes past it gets "No space left on
// device" in their container and nothing else breaks (they log in again, another user
// writes, the audit line is there); the image and its files outlive the container and
// its mount; three first logins at once mount it once; a damaged image refuses the
// login with BASTION_SHELL_HOME_UNAVAILABLE and is kept; a home made before the limit is copied into its image, or refused with
// BASTION_SHELL_HOME_TOO_LARGE and left as it was when it does not fit; and a user who
// loses access has the image unmounted and the home kept as root's.
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { ssh, sshFacts } from '../../fixtures/ssh.ts'
import { DOCKER, HOME_ROOT, containersOf, removeContainersOf, sessionLines, sleep, withShellConfig } from '../../fixtures/shell.ts'

const GROUP = 'bastion-users'
const SIZE_MB = 32
const IMAGES = join(HOME_ROOT, '.images')
const UNAVAILABLE = 'bastion: Your home cannot be made ready right now, so the bastion does not start your session. Please tell the operators. (BASTION_SHELL_HOME_UNAVAILABLE)\n'
const SHELL_LOG = '/var/log/bastion-testbed/shell.log'
const TOO_LARGE = 'bastion: Your home is larger than this bastion\'s size limit for homes. Please tell the operators. (BASTION_SHELL_HOME_TOO_LARGE)\n'

withShellConfig(t, { homes: { sizeMb: SIZE_MB } })

// What is mounted on `dir`, as findmnt says: source, type and options; '' when nothing.
async function mountOn (dir: string): Promise<string> {
  return (await execa('findmnt', ['-n', '-o', 'SOURCE,FSTYPE,OPTIONS', '--mountpoint', dir], { reject: false })).stdout.trim()
}

// A user of the bed's sshd in the allowed group, removed with their container, the
// mount of their home, its image and the home when the test ends.
async function makeUser (t: Test): Promise<string> {
  const name = `bt-hl${randomBytes(3).toString('hex')}`
  await execa('useradd', ['-m', '-s', sshFacts().shellBin, '-G', GROUP, name])
  t.teardown(async () => {
    await removeContainersOf(name)
    await execa('umount', [join(HOME_ROOT, name)], { reject: false })
    await execa('userdel', ['-r', name], { reject: false })
    await execa('rm', ['-rf', '--', join(HOME_ROOT, name), join(IMAGES, `${name}.img`), join(IMAGES, `${name}.img.new`), join('/var/lib/bastion-testbed/state/revoked', name)])
  })
  const home = (await execa('getent', ['passwd', name])).stdout.split(':')[5]!
  await execa('install', ['-d', '-o', name, '-g', name, '-m', '700', `${home}/.ssh`])
  await execa('install', ['-o', name, '-g', name, '-m', '600', `${sshFacts().key}.pub`, `${home}/.ssh/authorized_keys`])
  return name
}

async function eventually (check: () => Promise<boolean>, ms = 60_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await check()) return true
    await sleep(250)
  }
  return check()
}

t.test('a user who writes past their limit gets "No space left on device"; they and another user go on; the image outlives its container and mount', async (t) => {
  const [alice, bob] = [await makeUser(t), await makeUser(t)]
  const home = join(HOME_ROOT, alice)

  const fill = await ssh(alice, `echo kept > ~/kept.txt && dd if=/dev/zero of=~/fill bs=1M count=${2 * SIZE_MB} 2>&1; echo "dd=$?"; df -B1M --output=size ~ | tail -1`, { timeoutMs: 120_000 })
  t.equal(fill.exitCode, 0, fill.stderr)
  const out = fill.stdout.toString()
  t.match(out, /No space left on device/, 'the write past the limit fails with ENOSPC')
  t.match(out, /dd=1\n/)
  t.ok(Number(out.trim().split('\n').at(-1)) <= SIZE_MB, `the home is ${SIZE_MB} MiB at most, as the container sees it: ${out}`)
  const mounted = await mountOn(home)
  t.match(mounted, /^\/dev\/loop\d+\s+ext4\s+\S*\bnosuid\b/, 'a loop-mounted ext4 on the host')
  t.match(mounted, /\bnodev\b/)
  t.equal(statSync(home).uid, Number((await execa('id', ['-u', alice])).stdout), 'the mounted home is the user\'s')
  t.ok(existsSync(join(IMAGES, `${alice}.img`)), 'its image is under <homeRoot>/.images')
  t.ok(statSync(join(IMAGES, `${alice}.img`)).blocks * 512 < 2 * SIZE_MB * 1024 * 1024, 'sparse: no more than it holds')
  t.ok(sessionLines().some((l) => l.user === alice && l.event === 'session-start'), 'the audit line of the session that filled it is there')

  const again = await ssh(alice, 'echo alive; cat ~/kept.txt')
  t.equal(again.exitCode, 0, again.stderr)
  t.equal(again.stdout.toString(), 'alive\nkept\n', 'a full home does not keep its user out')

  const other = await ssh(bob, 'head -c 1048576 /dev/zero > ~/b.bin && echo wrote && stat -c %s ~/b.bin')
  t.equal(other.exitCode, 0, other.stderr)
  t.equal(other.stdout.toString(), 'wrote\n1048576\n', 'another user writes as before')
  const bobMount = await mountOn(join(HOME_ROOT, bob))
  t.not(bobMount.split(' ')[0], mounted.split(' ')[0], 'on a filesystem of their own')

  // A new container, and the mount gone as after a reboot: the files are in the image.
  const [before] = await containersOf(alice)
  await execa(DOCKER, ['rm', '-f', before!])
  await execa('umount', [home])
  t.equal(await mountOn(home), '', 'unmounted')
  const back = await ssh(alice, 'cat ~/kept.txt; stat -c %s ~/fill')
  t.equal(back.exitCode, 0, back.stderr)
  t.match(back.stdout.toString(), /^kept\n\d+\n$/, 'the files came back with the image')
  const [after] = await containersOf(alice)
  t.not(after, before, 'in a new container')
  t.match(await mountOn(home), /^\/dev\/loop\d+\s+ext4\s/, 'mounted again before it was made')
})

t.test('a home made before the limit is copied into its image, its container is recreated to see it; one that does not fit is refused and left as it was', async (t) => {
  const [carol, dave] = [await makeUser(t), await makeUser(t)]
  const unlimited = withShellConfig(t, { homes: { sizeMb: 0 } })
  t.equal((await ssh(carol, 'echo old > ~/old.txt')).exitCode, 0)
  // Random bytes: the copy would keep zeros as holes, and they would fit.
  t.equal((await ssh(dave, `head -c ${(SIZE_MB + 8) * 1024 * 1024} /dev/urandom > ~/big.bin`, { timeoutMs: 120_000 })).exitCode, 0)
  t.equal(await mountOn(join(HOME_ROOT, carol)), '', 'no image while there is no limit')
  const [plain] = await containersOf(carol)
  unlimited()

  const moved = await ssh(carol, 'cat ~/old.txt; df -B1M --output=size ~ | tail -1')
  t.equal(moved.exitCode, 0, moved.stderr)
  const [text, size] = moved.stdout.toString().trim().split('\n')
  t.equal(text, 'old', 'the file is in the image')
  t.ok(Number(size) <= SIZE_MB, 'and the home is the image')
  t.match(await mountOn(join(HOME_ROOT, carol)), /^\/dev\/loop\d+\s+ext4\s/)
  t.not((await containersOf(carol))[0], plain, 'the container made before the image was recreated')

  const refused = await ssh(dave, 'echo should-not-run')
  t.equal(refused.exitCode, 125)
  t.equal(refused.stderr, TOO_LARGE)
  t.equal(refused.stdout.toString(), '')
  t.equal(statSync(join(HOME_ROOT, dave, 'big.bin')).size, (SIZE_MB + 8) * 1024 * 1024, 'the files stay where they were')
  t.equal(await mountOn(join(HOME_ROOT, dave)), '')
  t.notOk(existsSync(join(IMAGES, `${dave}.img`)), 'no image is left')
  t.notOk(existsSync(join(IMAGES, `${dave}.img.new`)))

  await execa('rm', [join(HOME_ROOT, dave, 'big.bin')])
  t.equal((await ssh(dave, 'echo fits')).stdout.toString(), 'fits\n', 'once it fits, the next login moves it')
})

t.test('three first logins at once make one image and mount it once', async (t) => {
  const gina = await makeUser(t)
  const results = await Promise.all([1, 2, 3].map((i) => ssh(gina, `echo ${i} > ~/at-once-${i}; ls ~ | grep -c at-once`, { timeoutMs: 60_000 })))
  t.same(results.map((r) => r.exitCode), [0, 0, 0], results.map((r) => r.stderr).join(''))
  t.equal((await mountOn(join(HOME_ROOT, gina))).split('\n').length, 1, 'one mount')
  t.same((await ssh(gina, 'cat ~/at-once-1 ~/at-once-2 ~/at-once-3')).stdout.toString(), '1\n2\n3\n', 'every login wrote into the one image')
})

t.test('a damaged image refuses the login with BASTION_SHELL_HOME_UNAVAILABLE and is kept as it is; the log says how to check it; others log in', async (t) => {
  const [hank, ivy] = [await makeUser(t), await makeUser(t)]
  t.equal((await ssh(hank, 'echo mine > ~/notes.txt')).exitCode, 0)
  await removeContainersOf(hank)
  await execa('umount', [join(HOME_ROOT, hank)])
  const image = join(IMAGES, `${hank}.img`)
  // The primary superblock, at byte 1024.
  await execa('dd', ['if=/dev/zero', `of=${image}`, 'bs=1024', 'seek=1', 'count=1', 'conv=notrunc'])
  const logFrom = statSync(SHELL_LOG).size
  const r = await ssh(hank, 'echo should-not-run')
  t.equal(r.exitCode, 125)
  t.equal(r.stderr, UNAVAILABLE)
  t.equal(r.stdout.toString(), '')
  t.ok(existsSync(image), 'the image is not removed')
  t.same(await containersOf(hank), [], 'no container is made over the bare directory')
  t.ok(await eventually(async () => readFileSync(SHELL_LOG, 'utf8').slice(logFrom).includes(`e2fsck -f ${image}`), 10_000), 'the operator log names the image and the check')
  const other = await ssh(ivy, 'echo fine')
  t.equal(other.stdout.toString(), 'fine\n', 'another user logs in')
})

t.test('a user who loses access has their image unmounted and their home kept as root\'s; back, they have their files', async (t) => {
  const erin = await makeUser(t)
  const home = join(HOME_ROOT, erin)
  t.equal((await ssh(erin, 'echo mine > ~/notes.txt')).exitCode, 0)
  t.match(await mountOn(home), /^\/dev\/loop\d+\s+ext4\s/)

  await execa('gpasswd', ['-d', erin, GROUP])
  t.ok(await eventually(async () => (await containersOf(erin)).length === 0 && await mountOn(home) === '' && statSync(home).uid === 0), 'container gone, image unmounted, the directory root\'s')
  t.equal(statSync(home).mode & 0o777, 0o700)
  t.ok(existsSync(join(IMAGES, `${erin}.img`)), 'the image is kept')

  await execa('gpasswd', ['-a', erin, GROUP])
  const back = await ssh(erin, 'cat ~/notes.txt')
  t.equal(back.exitCode, 0, back.stderr)
  t.equal(back.stdout.toString(), 'mine\n')
})

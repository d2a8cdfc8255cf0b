// Check `homes`: no size limit is a warning; a limit the host cannot enforce (no
// mkfs.ext4, no loop device, no ext4) is a problem each; images that may outgrow the
// free space are a warning; otherwise ok with the figures.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { homesCheckWith, LOSETUP, MKFS, systemHomesFs, type HomesFs } from '../../../src/doctor/checks/homes.ts'
import { CONFIG_TEXT, hostConfig, scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

const ROOT = '/var/lib/bastion/home'

function fakeFs (over: Partial<HomesFs> & { homes?: string[], images?: Record<string, { sizeMb: number, usedMb: number }> } = {}): HomesFs {
  return {
    filesystems: async () => 'nodev\tproc\n\text4\n',
    freeMb: async () => 10_000,
    entries: async (dir) => dir === ROOT ? over.homes ?? [] : [],
    image: async (path) => over.images?.[path],
    ...over
  }
}

// A host with mkfs.ext4 and a free loop device; tests put their own answers first.
function limited (t: Parameters<typeof scratchDir>[0], sizeMb: number) {
  const ctx = doctorContext(scratchDir(t), { config: hostConfig(CONFIG_TEXT.replace('allowedGroup: bt-unit-users }', `allowedGroup: bt-unit-users, homes: { sizeMb: ${sizeMb} } }`)) })
  ctx.exec.handlers.push((cmd) => cmd === MKFS ? { exitCode: 0, stdout: '', stderr: 'mke2fs 1.47.0 (5-Feb-2023)' } : cmd === LOSETUP ? { exitCode: 0, stdout: '/dev/loop0\n', stderr: '' } : undefined)
  return ctx
}

t.test('no size limit: a warning with the fix', async (t) => {
  const ctx = doctorContext(scratchDir(t))
  t.same(await homesCheckWith(fakeFs()).run(ctx), {
    status: 'warnings',
    warnings: [{ problem: `homes have no size limit (shell.homes.sizeMb is 0): one user can fill the filesystem of ${ROOT} for every user`, fix: `set shell.homes.sizeMb (each home becomes an ext4 image of that size; docs/shell/homes.md), and keep ${ROOT} apart from the audit trail's filesystem` }]
  })
  t.same(ctx.exec.calls, [], 'nothing is run')
})

t.test('a limit this host can enforce, with room for it: ok with the figures', async (t) => {
  const ctx = limited(t, 1024)
  const fs = fakeFs({ homes: ['.images', 'alice', 'bob'], images: { [`${ROOT}/.images/alice.img`]: { sizeMb: 1024, usedMb: 24 } } })
  t.same(await homesCheckWith(fs).run(ctx), { status: 'ok', detail: 'each home is an ext4 image of 1024 MiB, mounted at login (2 homes, 2024 MiB of growth in 10000 MiB free)' })
  t.same(ctx.exec.calls, [[MKFS, '-V'], [LOSETUP, '-f']])
})

t.test('images that may grow past the free space: a warning', async (t) => {
  const ctx = limited(t, 8192)
  const fs = fakeFs({ homes: ['alice', 'bob'], freeMb: async () => 10_000 })
  t.match(await homesCheckWith(fs).run(ctx), { status: 'warnings', warnings: [{ problem: `the 2 homes in ${ROOT} may grow by 16384 MiB in all (shell.homes.sizeMb: 8192 each), but only 10000 MiB are free there`, fix: /lower shell.homes.sizeMb/ }] })
})

t.test('no mkfs.ext4, no loop device, no ext4: one problem each', async (t) => {
  const ctx = limited(t, 64)
  ctx.exec.handlers.unshift((cmd) => cmd === MKFS ? { exitCode: 127, stdout: '', stderr: 'not found' } : undefined)
  ctx.exec.handlers.unshift((cmd) => cmd === LOSETUP ? { exitCode: 1, stdout: '', stderr: 'losetup: cannot find an unused loop device' } : undefined)
  const r = await homesCheckWith(fakeFs({ filesystems: async () => 'nodev\tproc\n' })).run(ctx)
  t.match(r, {
    status: 'problems',
    problems: [
      { problem: `${MKFS} does not run (not found), so no home image can be made`, fix: 'apt-get install e2fsprogs' },
      { problem: `no loop device can be had (${LOSETUP} -f: losetup: cannot find an unused loop device)`, fix: /modprobe loop/ },
      { problem: /the kernel has no ext4/, fix: /modprobe ext4/ }
    ]
  })
})

t.test('a command that cannot start at all is a problem too', async (t) => {
  const ctx = limited(t, 64)
  ctx.exec.handlers.unshift((cmd) => { if (cmd === LOSETUP) throw new Error('spawn ENOENT'); return undefined })
  t.match(await homesCheckWith(fakeFs()).run(ctx), { status: 'problems', problems: [{ problem: /losetup -f: spawn ENOENT/ }] })
})

t.test('the host\'s files: ext4 in /proc/filesystems, free space above a path not made yet, entries and image sizes', async (t) => {
  const dir = scratchDir(t)
  t.match(await systemHomesFs.filesystems(), /\text4\n/, 'this kernel has ext4')
  const free = await systemHomesFs.freeMb(join(dir, 'not', 'yet'))
  t.ok(free > 0 && Number.isFinite(free), 'counted on the nearest directory that exists')
  t.same(await systemHomesFs.entries(join(dir, 'none')), [])
  writeFileSync(join(dir, 'a.img'), '')
  await truncate(join(dir, 'a.img'), 4 * 1024 * 1024)
  t.same(await systemHomesFs.entries(dir), ['a.img'])
  t.match(await systemHomesFs.image(join(dir, 'a.img')), { sizeMb: 4, usedMb: 0 }, 'sparse: its size, and nothing used')
  t.equal(await systemHomesFs.image(join(dir, 'b.img')), undefined)
})

// The doctor's report: one line per finding, problems with their fixes, a summary.
import t from 'tap'
import { CHECKS, runDoctor } from '../../src/doctor/run.ts'
import { ok, problems, skipped, warnings, type Check } from '../../src/doctor/check.ts'
import { scratchDir } from '../setup/fixtures.ts'
import { doctorContext } from './fixtures.ts'

const check = (name: string, run: Check['run']): Check => ({ name, summary: name, run })

t.test('the checks, in order: Docker first, so that image can be skipped; the shell before its broker', async (t) => {
  t.same(CHECKS.map((c) => c.name), ['docker', 'iptables', 'network', 'proxy', 'host-guard', 'roles', 'instance', 'image', 'shell', 'broker', 'sshd', 'docker-group', 'homes', 'addresses', 'clusters', 'shipping'])
})

t.test('ok, skipped and problem lines, and the count', async (t) => {
  const checks = [
    check('a', async () => ok('fine')),
    check('b', async () => problems([{ problem: 'one\n  broken', fix: 'do\nthis' }, { problem: 'two', fix: 'that' }])),
    check('c', async () => skipped('because'))
  ]
  const r = await runDoctor(doctorContext(scratchDir(t)), checks)
  t.same(r.lines, ['ok a: fine', 'PROBLEM b: one broken -- fix: do this', 'PROBLEM b: two -- fix: that', 'skipped c: because', 'doctor: 2 problems'])
  t.equal(r.problems, 2)
  const quiet = await runDoctor(doctorContext(scratchDir(t)), checks, { quiet: true })
  t.same(quiet.lines, ['PROBLEM b: one broken -- fix: do this', 'PROBLEM b: two -- fix: that', 'doctor: 2 problems'])
})

t.test('warnings are printed with their fix, with --quiet too, counted in the summary and not as problems', async (t) => {
  const checks = [check('a', async () => ok('fine')), check('w', async () => warnings([{ problem: 'weak\n  here', fix: 'harden' }]))]
  const r = await runDoctor(doctorContext(scratchDir(t)), checks)
  t.same(r.lines, ['ok a: fine', 'WARNING w: weak here -- fix: harden', 'doctor: no problems, 1 warning'])
  t.same([r.problems, r.warnings], [0, 1])
  const quiet = await runDoctor(doctorContext(scratchDir(t)), [...checks, check('p', async () => problems([{ problem: 'p', fix: 'f' }])), check('v', async () => warnings([{ problem: 'x', fix: 'y' }]))], { quiet: true })
  t.same(quiet.lines, ['WARNING w: weak here -- fix: harden', 'PROBLEM p: p -- fix: f', 'WARNING v: x -- fix: y', 'doctor: 1 problem, 2 warnings'])
})

t.test('no problem: the summary says so; one: singular', async (t) => {
  t.same((await runDoctor(doctorContext(scratchDir(t)), [check('a', async () => ok('x'))])).lines.at(-1), 'doctor: no problems')
  t.same((await runDoctor(doctorContext(scratchDir(t)), [check('a', async () => problems([{ problem: 'p', fix: 'f' }]))])).lines.at(-1), 'doctor: 1 problem')
})

t.test('a check that throws is a problem line, and the others still run', async (t) => {
  const r = await runDoctor(doctorContext(scratchDir(t)), [check('a', async () => { throw new Error('EACCES reading x') }), check('b', async () => ok('fine'))])
  t.same(r.lines, ['PROBLEM a: the check itself failed: EACCES reading x -- fix: see the message; run doctor as root', 'ok b: fine', 'doctor: 1 problem'])
})

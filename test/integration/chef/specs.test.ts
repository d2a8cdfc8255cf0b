// The cookbook's ChefSpec-style specs (chef/spec, on a stub of Chef's DSL) under Debian's
// rspec, each example reported here as one assertion.
import t from 'tap'
import { resolve } from 'node:path'
import { execa } from 'execa'

const COOKBOOK = resolve(import.meta.dirname, '../../../chef')

interface Example { full_description: string, status: string, exception?: { message: string } }

t.test('rspec runs every spec of the cookbook and all pass', async (t) => {
  const r = await execa('rspec', ['--format', 'json', '--no-color'], { cwd: COOKBOOK, reject: false })
  let report: { examples: Example[], summary: { example_count: number, failure_count: number, pending_count: number, errors_outside_of_examples_count: number } }
  try {
    report = JSON.parse(r.stdout)
  } catch {
    t.fail(`rspec printed no JSON report (exit ${r.exitCode}): ${r.stderr}${r.stdout}`)
    return
  }
  t.equal(report.summary.errors_outside_of_examples_count, 0, 'every spec file loads')
  t.equal(report.summary.pending_count, 0, 'nothing is pending or skipped')
  t.ok(report.summary.example_count >= 30, `${report.summary.example_count} examples`)
  for (const e of report.examples) t.equal(e.status, 'passed', `${e.full_description}${e.exception === undefined ? '' : `: ${e.exception.message}`}`)
  t.equal(r.exitCode, 0)
})

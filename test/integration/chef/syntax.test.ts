// Every Ruby file of the cookbook passes Debian's `ruby -c`, and every ERB template
// compiles to Ruby that does too (Chef Infra itself cannot be installed here).
import t from 'tap'
import { readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { execa } from 'execa'

const COOKBOOK = resolve(import.meta.dirname, '../../../chef')

function files (dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p, ext) : p.endsWith(ext) ? [p] : []
  })
}

t.test('the cookbook has the usual layout', async (t) => {
  for (const p of ['metadata.rb', 'README.md', 'attributes/default.rb', 'recipes/default.rb', 'resources/setup.rb', 'templates/bastion.yaml.erb', 'spec/spec_helper.rb']) {
    t.ok(statSync(join(COOKBOOK, p), { throwIfNoEntry: false })?.isFile(), `chef/${p} exists`)
  }
})

t.test('ruby -c accepts every Ruby file', async (t) => {
  const rb = files(COOKBOOK, '.rb')
  t.ok(rb.length >= 15, `${rb.length} Ruby files`)
  for (const f of rb) {
    const r = await execa('ruby', ['-c', f], { reject: false })
    t.equal(r.exitCode, 0, `${relative(COOKBOOK, f)}: ${r.stderr}`)
    t.match(r.stdout, /Syntax OK/)
  }
})

t.test('every template compiles (erb -x -T -) to Ruby that ruby -c accepts', async (t) => {
  const erb = files(join(COOKBOOK, 'templates'), '.erb')
  t.ok(erb.length >= 4, `${erb.length} templates`)
  for (const f of erb) {
    const ruby = await execa('erb', ['-x', '-T', '-', f])
    const r = await execa('ruby', ['-c'], { input: ruby.stdout, reject: false })
    t.equal(r.exitCode, 0, `${relative(COOKBOOK, f)}: ${r.stderr}`)
  }
})

t.test('a syntax error would be caught', async (t) => {
  const r = await execa('ruby', ['-c'], { input: "package 'x' do\n", reject: false })
  t.not(r.exitCode, 0)
})

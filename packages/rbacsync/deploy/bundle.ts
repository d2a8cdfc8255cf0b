// Bundles the Lambda into one zip: esbuild makes a single ESM file (index.mjs, handler
// `index.handler`, every dependency inside, the AWS SDK included) with its source map
// (the template sets --enable-source-maps, so stacks in the log name our files) and,
// with --config, the config it will run with, as bastion.yaml, checked before it is
// packed. The zip is reproducible: fixed entry order and timestamps.
//   node deploy/bundle.ts [--config /etc/bastion/bastion.yaml] [--out dist/lambda/rbacsync.zip]
import { mkdirSync, readFileSync, createWriteStream } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import yazl from 'yazl'
import { loadConfig } from '../src/config/load.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const { values } = parseArgs({ options: { config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } } })
if (values.help === true) {
  console.log('usage: node deploy/bundle.ts [--config PATH] [--out PATH]\n  --config  the bastion.yaml to ship with the function (validated first)\n  --out     the zip to write (default dist/lambda/rbacsync.zip)')
  process.exit(0)
}
const out = resolve(values.out ?? `${root}/dist/lambda/rbacsync.zip`)

if (values.config !== undefined) await loadConfig(values.config)
const result = await build({
  entryPoints: [`${root}/src/lambda.ts`],
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: 'external',
  legalComments: 'none',
  write: false,
  outfile: 'index.mjs',
  // Some dependencies are CommonJS and call require() for Node's own modules.
  banner: { js: "import { createRequire as __bastionRequire } from 'node:module'; const require = __bastionRequire(import.meta.url);" },
  logLevel: 'warning'
})
const code = result.outputFiles.find((f) => f.path.endsWith('index.mjs'))!.contents
const map = result.outputFiles.find((f) => f.path.endsWith('index.mjs.map'))!.contents

mkdirSync(dirname(out), { recursive: true })
const zip = new yazl.ZipFile()
const mtime = new Date('2020-01-01T00:00:00Z')
zip.addBuffer(Buffer.from(code), 'index.mjs', { mtime, mode: 0o644 })
zip.addBuffer(Buffer.from(map), 'index.mjs.map', { mtime, mode: 0o644 })
if (values.config !== undefined) zip.addBuffer(readFileSync(values.config), 'bastion.yaml', { mtime, mode: 0o644 })
zip.end()
await new Promise<void>((resolve, reject) => {
  zip.outputStream.pipe(createWriteStream(out)).on('close', resolve).on('error', reject)
})
console.log(`${out}: index.mjs ${(code.length / 1024 / 1024).toFixed(1)} MB${values.config !== undefined ? ' + bastion.yaml' : ' (no config: set BASTION_CONFIG or add bastion.yaml)'}`)

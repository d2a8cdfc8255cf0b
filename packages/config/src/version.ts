// The version that each of the suite's commands prints for --version: the one in the
// package.json of the package the command belongs to, found above the running module
// (src/ when run from source, dist/src/ or dist/bin/ when built).
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export function packageVersion (moduleUrl: string): string {
  for (let dir = dirname(fileURLToPath(moduleUrl)); dir !== dirname(dir); dir = dirname(dir)) {
    let text: string
    try {
      text = readFileSync(join(dir, 'package.json'), 'utf8')
    } catch {
      continue
    }
    const pkg = JSON.parse(text) as { name?: unknown, version?: unknown }
    if (typeof pkg.name === 'string' && pkg.name.startsWith('@bastion/') && typeof pkg.version === 'string') return pkg.version
  }
  throw new Error(`no @bastion/* package.json above ${fileURLToPath(moduleUrl)}`)
}

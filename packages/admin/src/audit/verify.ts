// `bastion audit --verify`: the session log's hash chain (packages/shell's audit-chain.ts),
// checked over the log and its rotated copies, oldest first, up to the first break.
import { basename } from 'node:path'
import { ChainChecker, type ChainBreak } from '@bastion/shell'
import { escape, fileLines, rotatedSet } from './log-files.ts'

export interface VerifyResult {
  files: string[]
  lines: number
  // Lines written before the chain existed, at the start (not judged).
  unchained: number
  broken?: ChainBreak & { file: string }
}

// The rotated set in the order it was written: name.N (the higher, the older), then
// dated copies (name-20261126, oldest first), then the file itself.
export function chronological (path: string, files: string[]): string[] {
  const name = basename(path)
  const number = (f: string): number | undefined => {
    const m = new RegExp(`^${escape(name)}\\.(\\d+)(?:\\.gz)?$`).exec(basename(f))
    return m === null ? undefined : Number(m[1])
  }
  const numbered = files.filter((f) => number(f) !== undefined).sort((a, b) => (number(b) as number) - (number(a) as number))
  const dated = files.filter((f) => f !== path && number(f) === undefined).sort()
  return [...numbered, ...dated, ...files.filter((f) => f === path)]
}

export async function verifySessionLog (path: string): Promise<VerifyResult | undefined> {
  const { files, missing } = await rotatedSet(path)
  if (missing) return undefined
  const ordered = chronological(path, files)
  const checker = new ChainChecker()
  for (const file of ordered) {
    checker.startFile()
    for await (const line of fileLines(file)) {
      const broken = checker.check(line)
      if (broken !== undefined) return { files: ordered, lines: checker.lines, unchained: checker.unchained, broken: { ...broken, file } }
    }
  }
  return { files: ordered, lines: checker.lines, unchained: checker.unchained }
}

// The agent binary on the host, as containers mount it: its fingerprint labels each
// container, so a new agent recreates containers as a new image does. It runs in every
// user's container as that user, so a binary that anyone but root could replace would
// let one user act as another: such a binary is never used, and sessions fall back to
// docker exec until an operator fixes it (bastion doctor says so too).
import { createHash } from 'node:crypto'
import { readFile, realpath, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { AgentMount } from './spec.ts'
import { untrustedAncestor } from '../config/trusted-paths.ts'

// One per process: the hash is recomputed only when the file's identity changes.
export interface AgentCache { key?: string, mount?: AgentMount }

export type AgentLookup = { mount: AgentMount } | { mount: null, why: string }

export async function agentMount (path: string, cache: AgentCache = {}): Promise<AgentLookup> {
  let s
  try {
    s = await stat(path)
  } catch {
    return { mount: null, why: `${path} does not exist` }
  }
  if (!s.isFile()) return { mount: null, why: `${path} is not a file` }
  if (s.uid !== 0 || (s.mode & 0o022) !== 0) return { mount: null, why: `${path} is not owned by root alone (uid ${s.uid}, mode ${(s.mode & 0o7777).toString(8)})` }
  // The directories above it, and above what a symbolic link at the path points to:
  // a link or a directory someone else may write there would let them swap the binary.
  const target = await realpath(path)
  for (const dir of new Set([dirname(path), dirname(target)])) {
    const why = await untrustedAncestor(dir, { allowSticky: true })
    if (why !== undefined) return { mount: null, why: `${path} is not root's alone: ${why}` }
  }
  const key = [s.dev, s.ino, s.size, s.mtimeMs, s.ctimeMs].join(':')
  if (cache.key !== key || cache.mount === undefined) {
    const hash = createHash('sha256').update(await readFile(path)).digest('hex').slice(0, 16)
    cache.key = key
    cache.mount = { hostPath: path, hash }
  }
  return { mount: cache.mount }
}

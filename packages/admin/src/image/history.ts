// The images that were made the configured one, oldest first: what `bastion image
// rollback` goes back through. A JSON file under /var/lib/bastion (toolbox.historyFile),
// replaced atomically; a file this suite did not write is never overwritten.
import { readFile } from 'node:fs/promises'
import { writeAtomically } from '../kubeconfig/atomic-write.ts'
import { imageError } from './errors.ts'

export const HISTORY_FORMAT = 'bastion-toolbox-history/1'
// Enough to go back a long way; older entries are dropped.
export const HISTORY_LIMIT = 50

export interface HistoryEntry {
  ref: string // what shell.image was set to
  id: string // the image id the ref named then
  at: string // ISO time it became the configured image
  how: 'build' | 'rollout' | 'rollback' | 'found' // found: configured before, by hand or by an older suite
}

export async function readHistory (path: string): Promise<HistoryEntry[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw imageError('BASTION_ADMIN_IMAGE_HISTORY_INVALID', `cannot read ${path}: ${(err as Error).message}`, err)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw imageError('BASTION_ADMIN_IMAGE_HISTORY_INVALID', `${path} is not JSON: ${(err as Error).message}`, err)
  }
  const d = data as { format?: unknown, images?: unknown }
  if (d?.format !== HISTORY_FORMAT || !Array.isArray(d.images) || !d.images.every(isEntry)) {
    throw imageError('BASTION_ADMIN_IMAGE_HISTORY_INVALID', `${path} is not a history file of this suite (format ${HISTORY_FORMAT}); move it away to start a new one`)
  }
  return d.images
}

export async function writeHistory (path: string, images: readonly HistoryEntry[]): Promise<void> {
  const kept = images.slice(-HISTORY_LIMIT)
  await writeAtomically(path, `${JSON.stringify({ format: HISTORY_FORMAT, images: kept }, null, 2)}\n`, 0o644)
}

function isEntry (e: unknown): e is HistoryEntry {
  const x = e as Record<string, unknown>
  return typeof x === 'object' && x !== null && typeof x.ref === 'string' && typeof x.id === 'string' && typeof x.at === 'string' &&
    ['build', 'rollout', 'rollback', 'found'].includes(x.how as string)
}

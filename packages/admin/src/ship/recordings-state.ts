// What bastion ship knows it has uploaded, in <stateDir>/recordings-state.json: per
// recording ("<user>/<file>"), the size, mtime and SHA-256 of the bytes S3 confirmed,
// and the key. Written only after S3 confirmed, whole (tmp, fsync, rename, fsync of the
// directory), so a crash leaves the old state or the new one, never a torn file.
// The index (<stateDir>/recordings-index.jsonl) gets a line per upload, appended and
// fsynced before the state is written: a crash between the two uploads the recording
// again and adds a second line with the same key and SHA-256 (at least once, never lost).
import { mkdir, open, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { writeAtomic } from './cursor.ts'

export interface Uploaded {
  size: number
  mtimeMs: number
  sha256: string
  key: string
  // How many versions of it were uploaded (recording-key.ts): 1 unless it changed.
  version: number
  at: string
}

export interface RecordingsState {
  version: 1
  uploaded: Record<string, Uploaded>
}

export const STATE_FILE = 'recordings-state.json'

export async function loadState (stateDir: string): Promise<RecordingsState> {
  let text: string
  try {
    text = await readFile(join(stateDir, STATE_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, uploaded: {} }
    throw err
  }
  // A state that cannot be read is not taken for an empty one silently: the caller logs
  // it, and the recordings are uploaded again (the same keys, the same bytes).
  const v = JSON.parse(text) as RecordingsState
  if (v?.version !== 1 || typeof v.uploaded !== 'object' || v.uploaded === null) throw new Error(`${join(stateDir, STATE_FILE)} is not a recordings state (version 1)`)
  return { version: 1, uploaded: Object.assign(Object.create(null) as Record<string, Uploaded>, v.uploaded) }
}

export async function saveState (stateDir: string, state: RecordingsState): Promise<void> {
  const file = join(stateDir, STATE_FILE)
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  await writeAtomic(file, JSON.stringify(state) + '\n')
}

export async function appendIndex (indexFile: string, line: object): Promise<void> {
  await mkdir(dirname(indexFile), { recursive: true, mode: 0o700 })
  const fh = await open(indexFile, 'a', 0o600)
  try {
    await fh.write(JSON.stringify(line) + '\n')
    await fh.sync()
  } finally {
    await fh.close()
  }
}

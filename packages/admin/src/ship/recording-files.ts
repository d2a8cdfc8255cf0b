// The recordings on disk, read as an attacker would want them misread: only real
// directories one level down (a directory per user) and regular files in them with a
// recording's name; no symbolic link is followed, at either level, and a file is read
// through a descriptor that is checked to be the very file listed (O_NOFOLLOW, then the
// kernel's own name for the descriptor), so swapping a directory for a link between
// the listing and the read does not send another file to S3.
import { constants, createReadStream } from 'node:fs'
import { lstat, open, readdir, readlink, type FileHandle } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { isRecordingName, validPart } from './recording-key.ts'

export interface RecordingFile {
  user: string
  file: string
  path: string
  size: number
  mtimeMs: number
}

// Every recording under dir, and the entries refused (a link, an unsafe name), by path.
export async function listRecordings (dir: string): Promise<{ files: RecordingFile[], refused: Array<{ path: string, why: string }> }> {
  const files: RecordingFile[] = []
  const refused: Array<{ path: string, why: string }> = []
  const users = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return []
    throw err
  })
  for (const u of users) {
    const userDir = join(dir, u.name)
    if (!u.isDirectory()) {
      if (u.isSymbolicLink()) refused.push({ path: userDir, why: 'a symbolic link, not followed' })
      continue
    }
    if (!validPart(u.name)) { refused.push({ path: userDir, why: 'not a name usable in an S3 key' }); continue }
    for (const f of await readdir(userDir, { withFileTypes: true }).catch(() => [])) {
      const path = join(userDir, f.name)
      if (f.isSymbolicLink()) { refused.push({ path, why: 'a symbolic link, not followed' }); continue }
      if (!f.isFile() || !f.name.endsWith('.cast')) continue
      if (!isRecordingName(f.name)) { refused.push({ path, why: 'not a recording\'s file name' }); continue }
      const s = await lstat(path).catch(() => undefined)
      if (s?.isFile() !== true) continue
      files.push({ user: u.name, file: f.name, path, size: s.size, mtimeMs: s.mtimeMs })
    }
  }
  return { files, refused }
}

export interface OpenRecording {
  fh: FileHandle
  size: number
  mtimeMs: number
  // Still the same bytes as when opened (size and mtime unchanged)?
  unchanged (): Promise<boolean>
  sha256 (): Promise<string>
  stream (): NodeJS.ReadableStream
  bytes (): Promise<Buffer>
}

// Opens the recording at `path` without following a link anywhere on the way: the
// descriptor's own path (/proc/self/fd) must be `path`, else it is refused.
export async function openRecording (path: string): Promise<OpenRecording> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  try {
    const s = await fh.stat()
    if (!s.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'BASTION_NOT_A_FILE' })
    const real = await readlink(`/proc/self/fd/${fh.fd}`)
    if (real !== path) throw Object.assign(new Error(`${path} resolves to ${real}: a link on the way, not followed`), { code: 'BASTION_LINK' })
    const { size, mtimeMs } = s
    // createReadStream's end is inclusive; an empty file is read as no bytes at all.
    const read = (): NodeJS.ReadableStream => size === 0 ? Readable.from([]) : createReadStream('', { fd: fh, start: 0, end: size - 1, autoClose: false, emitClose: false })
    return {
      fh,
      size,
      mtimeMs,
      unchanged: async () => { const n = await fh.stat(); return n.size === size && n.mtimeMs === mtimeMs },
      sha256: async () => {
        const hash = createHash('sha256')
        for await (const chunk of read()) hash.update(chunk as Buffer)
        return hash.digest('hex')
      },
      stream: read,
      bytes: async () => {
        const buf = Buffer.alloc(size)
        let at = 0
        while (at < size) {
          const { bytesRead } = await fh.read(buf, at, size - at, at)
          if (bytesRead === 0) break
          at += bytesRead
        }
        return buf.subarray(0, at)
      }
    }
  } catch (err) {
    await fh.close()
    throw err
  }
}

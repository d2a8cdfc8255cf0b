// Which recordings belong to sessions that have ended: the session log's session-end
// lines (packages/shell/src/audit.ts), in the live file and its rotated copies. The
// shell closes a recording before it writes the session's end line, so a recording
// named by an end line is complete.
//
// Read incrementally: each file is known by its inode, and only the bytes past what was
// read of it before are read again (a rename rotation keeps the inode; a gzipped copy
// is read once; after a copytruncate, the file is shorter or starts otherwise, and is
// read from its start). What is missed anyway is not lost: such a recording goes once
// it is quiet and its session has no live worker.
import { open, readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { rotatedSet } from '../audit/log-files.ts'

export interface EndedRecording {
  session: string | null
}

// Recordings by "<user>/<file>".
export type Ended = Map<string, EndedRecording>

const CHUNK = 1024 * 1024

export interface EndedSessions {
  // Reads what is new in the log files and returns every ended recording seen so far.
  scan (): Promise<Ended>
  // Forgets the recordings not in `keep` (those uploaded, or gone).
  retain (keep: (key: string) => boolean): void
}

export function endedSessions (sessionsLog: string, warn: (line: object) => void = () => {}): EndedSessions {
  const read = new Map<string, number>() // "dev:ino" -> bytes read up to a newline
  const heads = new Map<string, string>() // "dev:ino" -> its first bytes, hex
  const ended: Ended = new Map()
  const take = (text: string): void => {
    if (!text.includes('"session-end"')) return
    let v: unknown
    try { v = JSON.parse(text) } catch { return }
    if (typeof v !== 'object' || v === null) return
    const { event, user, recording, session } = v as Record<string, unknown>
    if (event !== 'session-end' || typeof user !== 'string' || typeof recording !== 'string') return
    ended.set(`${user}/${basename(recording)}`, { session: typeof session === 'string' ? session : null })
  }
  return {
    async scan () {
      const { files } = await rotatedSet(sessionsLog)
      for (const file of files) {
        try {
          const s = await stat(file)
          const id = `${s.dev}:${s.ino}`
          const from = read.get(id) ?? 0
          if (file.endsWith('.gz')) {
            if (read.has(id)) continue
            for (const line of gunzipSync(await readFile(file)).toString('utf8').split('\n')) take(line)
            read.set(id, s.size)
            continue
          }
          // A copytruncate leaves the inode: a shorter file, or one whose first bytes
          // changed, is a new one, read from its start.
          const head = await headOf(file)
          const before = heads.get(id) ?? head
          const same = s.size >= from && (head.startsWith(before) || before.startsWith(head))
          heads.set(id, head)
          read.set(id, await readFrom(file, same ? from : 0, take))
        } catch (err) {
          warn({ msg: 'cannot read the session log', file, err: (err as Error).message })
        }
      }
      return ended
    },
    retain (keep) {
      for (const key of ended.keys()) if (!keep(key)) ended.delete(key)
    }
  }
}

const HEAD = 256

async function headOf (file: string): Promise<string> {
  const fh = await open(file, 'r')
  try {
    const buf = Buffer.alloc(HEAD)
    const { bytesRead } = await fh.read(buf, 0, HEAD, 0)
    return buf.subarray(0, bytesRead).toString('hex')
  } finally {
    await fh.close()
  }
}

// Reads the whole lines of `file` from byte `from`; returns where the last whole line ended.
async function readFrom (file: string, from: number, line: (text: string) => void): Promise<number> {
  const fh = await open(file, 'r')
  try {
    let pos = from
    let rest = Buffer.alloc(0)
    const buf = Buffer.alloc(CHUNK)
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos + rest.length)
      if (bytesRead === 0) return pos
      const data = Buffer.concat([rest, buf.subarray(0, bytesRead)])
      const nl = data.lastIndexOf(0x0a)
      if (nl < 0) { rest = data; continue }
      for (const text of data.subarray(0, nl).toString('utf8').split('\n')) line(text)
      pos += nl + 1
      rest = Buffer.from(data.subarray(nl + 1))
    }
  } finally {
    await fh.close()
  }
}

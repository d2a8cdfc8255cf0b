// bastion ship's recordings step (issue 16, item 3): the session recordings go to S3
// under <prefix><host>/<user>/<file>, at least once and never lost. One call of run()
// per loop iteration does what is due and returns the backlog for status and doctor.
//
// - A recording is uploaded once it is complete: its session's end line is in the
//   session log (or a rotated copy), or it has not changed for quietMs and its session
//   has no live worker in the shell's registry (a crashed worker, a reboot). A live
//   recording is never uploaded: its key would then hold a part of it.
// - The state says what S3 confirmed (recordings-state.ts); it is written only after
//   S3 confirmed, so a restart uploads again at most the recording that was in flight,
//   under the same key with the same bytes.
// - A recording that changed after its upload (it should not) is uploaded again as a
//   new version beside the first, which is never overwritten, and the log says so.
// - While S3 fails, nothing is forgotten: the backlog stays, and uploads wait with a
//   backoff (1 s doubling to 5 min; AccessDenied and the like, 5 min at once).
// - Local recordings are never deleted: their retention is the operator's.
import { realpath } from 'node:fs/promises'
import { containerName, sessionLive } from '@bastion/shell'
import { endedSessions, type Ended } from './ended-sessions.ts'
import { listRecordings, openRecording, type RecordingFile } from './recording-files.ts'
import { recordingKey, sessionOfRecording, validPart, validPrefix } from './recording-key.ts'
import { StoreError, type RecordingStore } from './recording-store.ts'
import { appendIndex, loadState, saveState, type RecordingsState } from './recordings-state.ts'

export interface RecordingsOptions {
  recordingsDir: string // shell.audit.recordingsDir
  sessionsLog: string // shell.audit.file
  shellStateDir: string // shell.stateDir: whose session registry says which sessions live
  prefix: string // ship.recordings.prefix
  host: string // ship.host
  stateDir: string // ship.stateDir
  indexFile: string // <stateDir>/recordings-index.jsonl
  store: RecordingStore // s3RecordingStore(new S3Client(...), ship.recordings.bucket, { prefix })
  log: (line: object) => void
  now?: () => number
  // How long a recording must be unchanged before one without an end line counts as
  // complete (if its session has no live worker).
  quietMs?: number
  isLive?: (user: string, session: string) => Promise<boolean>
}

export interface Backlog {
  files: number
  bytes: number
  // The mtime (ms since the epoch) of the oldest complete recording not yet uploaded.
  oldestMs: number | null
}

export interface RecordingsResult {
  uploaded: number
  failed: number
  live: number // recordings still being written, not due
  backlog: Backlog
}

export interface RecordingsShipper {
  run (signal?: AbortSignal): Promise<RecordingsResult>
}

export const QUIET_MS = 10 * 60 * 1000
const RETRY_FIRST_MS = 1000
const RETRY_MAX_MS = 5 * 60 * 1000

export function recordingsShipper (opts: RecordingsOptions): RecordingsShipper {
  if (!validPrefix(opts.prefix)) throw new Error(`ship.recordings.prefix ${JSON.stringify(opts.prefix)} is not a usable key prefix (no leading "/", no "." or ".." segments)`)
  if (!validPart(opts.host)) throw new Error(`ship.host ${JSON.stringify(opts.host)} is not usable in an S3 key`)
  const now = opts.now ?? Date.now
  const quietMs = opts.quietMs ?? QUIET_MS
  const isLive = opts.isLive ?? ((user, session) => sessionLive(opts.shellStateDir, containerName(user), session))
  const ended = endedSessions(opts.sessionsLog, opts.log)
  const refusedSeen = new Set<string>()
  let state: RecordingsState | undefined
  let retryAt = 0
  let retryMs = 0

  const load = async (): Promise<RecordingsState> => {
    if (state !== undefined) return state
    try {
      state = await loadState(opts.stateDir)
    } catch (err) {
      opts.log({ level: 'error', msg: 'the recordings state cannot be read: every recording is uploaded again (same keys, same bytes)', err: (err as Error).message })
      state = { version: 1, uploaded: Object.create(null) as RecordingsState['uploaded'] }
    }
    return state
  }

  // The recordings that are complete and not uploaded as they are now, oldest first.
  const due = async (st: RecordingsState): Promise<{ pending: RecordingFile[], live: number, endedNow: Ended }> => {
    const endedNow = await ended.scan()
    let dir: string
    try {
      dir = await realpath(opts.recordingsDir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { pending: [], live: 0, endedNow }
      throw err
    }
    const { files, refused } = await listRecordings(dir)
    for (const r of refused) {
      if (refusedSeen.has(r.path)) continue
      refusedSeen.add(r.path)
      opts.log({ level: 'warn', msg: 'not uploaded', path: r.path, why: r.why })
    }
    const present = new Set(files.map((f) => `${f.user}/${f.file}`))
    for (const k of Object.keys(st.uploaded)) if (!present.has(k)) delete st.uploaded[k]
    const pending: RecordingFile[] = []
    let live = 0
    for (const f of files) {
      const k = `${f.user}/${f.file}`
      const prev = st.uploaded[k]
      if (prev !== undefined && prev.size === f.size && prev.mtimeMs === f.mtimeMs) continue
      const session = sessionOfRecording(f.file)
      const complete = endedNow.has(k) || (now() - f.mtimeMs >= quietMs && (session === null || !await isLive(f.user, session)))
      if (complete) pending.push(f)
      else live++
    }
    ended.retain((k) => present.has(k) && st.uploaded[k] === undefined)
    pending.sort((a, b) => a.mtimeMs - b.mtimeMs)
    return { pending, live, endedNow }
  }

  // Uploads one recording; true when S3 confirmed it (or it needed no upload).
  const upload = async (st: RecordingsState, f: RecordingFile, endedSession: string | null, signal?: AbortSignal): Promise<boolean> => {
    const k = `${f.user}/${f.file}`
    const rec = await openRecording(f.path)
    try {
      const sha256 = await rec.sha256()
      const prev = st.uploaded[k]
      if (prev !== undefined && prev.sha256 === sha256) {
        st.uploaded[k] = { ...prev, size: rec.size, mtimeMs: rec.mtimeMs }
        await saveState(opts.stateDir, st)
        return true
      }
      const version = prev === undefined ? 1 : prev.version + 1
      const key = recordingKey(opts.prefix, opts.host, f.user, f.file, version)
      if (prev !== undefined) opts.log({ level: 'warn', msg: 'a recording changed after its upload: uploading it again as a new version, the first one stays', path: f.path, before: { key: prev.key, bytes: prev.size, sha256: prev.sha256 }, key })
      await opts.store.put(key, rec, sha256, signal)
      if (!await rec.unchanged()) {
        opts.log({ level: 'warn', msg: 'the recording changed while it was uploaded: it is uploaded again later', path: f.path, key })
        return false
      }
      const at = new Date(now()).toISOString()
      const session = endedSession ?? sessionOfRecording(f.file)
      await appendIndex(opts.indexFile, { time: at, host: opts.host, user: f.user, session, path: f.path, url: `${opts.store.url}/${key}`, key, bytes: rec.size, sha256, version })
      st.uploaded[k] = { size: rec.size, mtimeMs: rec.mtimeMs, sha256, key, version, at }
      await saveState(opts.stateDir, st)
      opts.log({ level: 'info', msg: 'recording uploaded', path: f.path, key, bytes: rec.size })
      return true
    } finally {
      await rec.fh.close()
    }
  }

  return {
    async run (signal) {
      const st = await load()
      const { pending, live, endedNow } = await due(st)
      const left = new Set(pending)
      const backlog = (): Backlog => {
        const files = [...left]
        return { files: files.length, bytes: files.reduce((n, f) => n + f.size, 0), oldestMs: files[0]?.mtimeMs ?? null }
      }
      // A function: the signal may fire while an upload awaits.
      const aborted = (): boolean => signal?.aborted === true
      let uploaded = 0
      let failed = 0
      if (now() < retryAt) return { uploaded, failed, live, backlog: backlog() }
      for (const f of pending) {
        if (aborted()) break
        try {
          if (!await upload(st, f, endedNow.get(`${f.user}/${f.file}`)?.session ?? null, signal)) continue
          uploaded++
          left.delete(f)
          retryMs = 0
        } catch (err) {
          if (aborted()) break
          failed++
          if (err instanceof StoreError) {
            // S3 away, throttling or refusing: the rest waits, in order.
            retryMs = err.denied ? RETRY_MAX_MS : Math.min(RETRY_MAX_MS, retryMs === 0 ? RETRY_FIRST_MS : retryMs * 2)
            retryAt = now() + retryMs
            opts.log({ level: 'error', msg: 'recording not uploaded; retrying later', path: f.path, err: err.message, code: err.code, retryInMs: retryMs, backlog: backlog() })
            break
          }
          // This file only (gone, or a link put in its place): the others go on.
          opts.log({ level: 'error', msg: 'recording not uploaded', path: f.path, err: (err as Error).message })
        }
      }
      return { uploaded, failed, live, backlog: backlog() }
    }
  }
}

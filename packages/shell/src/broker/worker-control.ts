// A session worker's control socket: how root ends some of a worker's sessions and
// not the others it serves (a revoked user's, revoke.ts). One socket per worker, named
// by its pid, in the run directory's private/ part (root's alone, mode 0700), so no
// user can reach it. It outlives the broker that forked the worker: a sweep of the next
// broker reaches the sessions of workers the last one left running.
//
// The request is one JSON line, {"hangUp": [session, ...]} (the names of the session
// records, session/registry.ts); the answer is one line, {"ended": n}.
import { mkdirSync, rmSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { runDirs } from './run-dir.ts'

const MAX_REQUEST = 64 * 1024

export function controlSocket (runDir: string, pid: number): string {
  return join(runDirs(runDir).privateDir, 'workers', `${pid}.sock`)
}

// Listens on the worker's socket; hangUp ends the named sessions it serves and says how
// many. The socket is removed when the process exits. A socket that cannot be made is
// reported, and the worker serves on (its sessions still end with their container).
export function listenControl (path: string, hangUp: (sessions: string[]) => number, onError: (err: Error) => void): Server {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 })
  rmSync(path, { force: true })
  const server = createServer((socket) => {
    let buf = ''
    socket.setEncoding('utf8')
    socket.on('error', () => {})
    socket.on('data', (chunk: string) => {
      buf += chunk
      if (buf.length > MAX_REQUEST) { socket.destroy(); return }
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      let ended = 0
      try {
        const sessions = (JSON.parse(buf.slice(0, nl)) as { hangUp?: unknown }).hangUp
        if (Array.isArray(sessions)) ended = hangUp(sessions.filter((s): s is string => typeof s === 'string'))
      } catch { /* a request that is not JSON ends nothing */ }
      socket.end(JSON.stringify({ ended }) + '\n')
    })
  })
  server.on('error', onError)
  server.listen(path)
  server.unref()
  process.once('exit', () => { rmSync(path, { force: true }) })
  return server
}

// Asks the worker behind `path` to end these sessions. Resolves with how many it ended,
// or undefined when no worker answers there (gone, or one too old to have the socket).
export function hangUpSessions (path: string, sessions: string[], timeoutMs = 2000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(path)
    let buf = ''
    const timer = setTimeout(() => { socket.destroy(); resolve(undefined) }, timeoutMs)
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(JSON.stringify({ hangUp: sessions }) + '\n'))
    socket.on('data', (chunk: string) => { buf += chunk })
    socket.on('error', () => { clearTimeout(timer); resolve(undefined) })
    socket.on('close', () => {
      clearTimeout(timer)
      try { resolve((JSON.parse(buf) as { ended: number }).ended) } catch { resolve(undefined) }
    })
  })
}

// A listening Unix socket that exactly one uid (and root) can connect to, put in place
// atomically: bound in a directory only root can enter, chowned and set to 0600 there,
// then renamed to where its user will look. Connecting to a Unix socket needs write
// permission on its file, so the kernel checks who connects. No one can reach the
// socket before its owner and mode are final, whatever the umask.
import { randomBytes } from 'node:crypto'
import { chmod, chown, rename, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'

export interface OwnedSocket {
  // Resolves with the first connection, or undefined after timeoutMs or a close().
  // Either way the socket file is gone by then and nothing more is accepted.
  accepted (timeoutMs: number): Promise<Socket | undefined>
  // Stops listening and removes the file.
  close (): Promise<void>
}

export async function ownedSocket (privateDir: string, path: string, uid: number, gid: number): Promise<OwnedSocket> {
  const temporary = join(privateDir, `${randomBytes(8).toString('hex')}.tmp`)
  const server = createServer({ pauseOnConnect: true })
  // Listening from before the file is visible: a peer that connects the moment the
  // rename lands is kept for accepted(), never dropped.
  let first: Socket | undefined
  let handed = false
  let arrived: ((socket: Socket) => void) | undefined
  let closed = false
  server.on('connection', (socket: Socket) => {
    if (closed || first !== undefined) { socket.destroy(); return }
    first = socket
    arrived?.(socket)
  })
  await listen(server, temporary)
  // A pending accepted() settles with undefined when the socket is closed first.
  let abandon: (() => void) | undefined
  // One closing for every caller: each of them resumes once the file is gone.
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    if (closing !== undefined) return closing
    closed = true
    abandon?.()
    if (!handed) first?.destroy()
    server.close()
    closing = Promise.all([rm(path, { force: true }), rm(temporary, { force: true })]).then(() => {})
    return closing
  }
  try {
    await chown(temporary, uid, gid)
    await chmod(temporary, 0o600)
    await rename(temporary, path)
  } catch (err) {
    await close()
    throw err
  }
  return {
    close,
    accepted: (timeoutMs) => new Promise<Socket | undefined>((resolve) => {
      if (first !== undefined && !closed) { const socket = first; handed = true; void close().then(() => resolve(socket)); return }
      if (closed) { resolve(undefined); return }
      // Either way, only once the file is gone: nothing is left behind for anyone.
      const settle = (socket: Socket | undefined): void => {
        handed = socket !== undefined
        abandon = undefined
        arrived = undefined
        clearTimeout(timer)
        void close().then(() => resolve(socket))
      }
      const timer = setTimeout(() => settle(undefined), timeoutMs)
      abandon = () => settle(undefined)
      arrived = settle
    })
  }
}

// Listening on a Unix socket path, as a promise.
export function listen (server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ path }, () => { server.off('error', reject); resolve() })
  })
}

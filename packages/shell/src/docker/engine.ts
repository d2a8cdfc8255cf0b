// The Docker Engine API as the login uses it: the handful of calls a session needs,
// over node:http on the engine's unix socket, in the same shape as dockerode's so the
// code and its fakes read the same. Why not dockerode itself: loading it (and its gRPC
// and ssh2 stacks) costs about 0.2 s of CPU, paid by every login, for a few plain HTTP
// calls and one upgraded connection (see the README's bench:shell figures).
import { request, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type Dockerode from 'dockerode'

export type ContainerInfo = Dockerode.ContainerInspectInfo & { ExecIDs?: string[] | null }
export interface ExecInfo { ID?: string, Running: boolean, ExitCode: number | null, Pid?: number }
export interface ExecOptions {
  Cmd: string[]
  AttachStdin: boolean
  AttachStdout: boolean
  AttachStderr: boolean
  Tty: boolean
  Env: string[]
  User: string
  WorkingDir: string
}

// Of `docker network inspect`: each attached container's address, as "10.250.0.7/24".
export interface NetworkInfo { Containers?: Record<string, { IPv4Address?: string }> | null }

export interface Exec {
  start (options: { hijack: true, stdin: true, Tty: boolean }): Promise<Duplex>
  resize (size: { h: number, w: number }): Promise<void>
  inspect (): Promise<ExecInfo>
}

export interface Engine {
  ping (): Promise<void>
  getImage (ref: string): { inspect (): Promise<{ Id: string }> }
  getContainer (id: string): {
    inspect (): Promise<ContainerInfo>
    start (): Promise<void>
    remove (options: { force: boolean }): Promise<void>
    exec (options: ExecOptions): Promise<Exec>
  }
  getExec (id: string): Exec
  getNetwork (name: string): { inspect (): Promise<NetworkInfo> }
  createContainer (options: Dockerode.ContainerCreateOptions): Promise<{ id: string }>
  listContainers (options: { all: boolean, filters: Record<string, string[]> }): Promise<Array<{ Id: string, Names: string[], Labels: Record<string, string>, HostConfig?: { NetworkMode?: string } }>>
}

// Failures carry Docker's HTTP status as statusCode, as dockerode's do (404, 304, 409).
export class EngineError extends Error {
  readonly statusCode: number | undefined
  constructor (message: string, statusCode?: number, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'EngineError'
    this.statusCode = statusCode
  }
}

interface Call { method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown }

export function httpEngine (socketPath: string, timeoutMs = 30_000): Engine {
  const call = <T>(c: Call): Promise<T> => new Promise<T>((resolve, reject) => {
    const payload = c.body === undefined ? undefined : JSON.stringify(c.body)
    const req = request({
      socketPath,
      method: c.method,
      path: c.path,
      timeout: timeoutMs,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
    }, (res) => {
      collect(res).then((text) => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) {
          const json = /json/.test(res.headers['content-type'] ?? '') && text !== ''
          try {
            resolve((json ? JSON.parse(text) : undefined) as T)
          } catch (err) {
            reject(new EngineError(`${c.method} ${c.path.split('?')[0]}: Docker sent JSON we cannot read`, status, { cause: err }))
          }
        } else {
          reject(new EngineError(`${c.method} ${c.path.split('?')[0]}: ${status} ${messageOf(text)}`, status))
        }
      }, reject)
    })
    req.on('timeout', () => req.destroy(new EngineError(`${c.method} ${c.path.split('?')[0]}: no answer from Docker in ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(payload)
  })

  // POST /exec/{id}/start, upgraded to a raw stream: stdin goes in, the output comes
  // out (multiplexed unless Tty), and ending our side half-closes the exec's stdin.
  const hijack = (id: string, tty: boolean): Promise<Duplex> => new Promise<Duplex>((resolve, reject) => {
    const payload = JSON.stringify({ Detach: false, Tty: tty })
    const req = request({
      socketPath,
      method: 'POST',
      path: `/exec/${encodeURIComponent(id)}/start`,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), connection: 'Upgrade', upgrade: 'tcp' }
    })
    req.setTimeout(timeoutMs, () => req.destroy(new EngineError(`POST /exec/start: no answer from Docker in ${timeoutMs} ms`)))
    req.on('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.setTimeout(0)
      if (head.length > 0) socket.unshift(head)
      resolve(socket)
    })
    req.on('response', (res: IncomingMessage) => {
      collect(res).then((text) => reject(new EngineError(`POST /exec/start: ${res.statusCode ?? 0} ${messageOf(text)}`, res.statusCode)), reject)
    })
    req.on('error', reject)
    req.end(payload)
  })

  const execHandle = (id: string): Exec => ({
    start: (o) => hijack(id, o.Tty),
    resize: (s) => call({ method: 'POST', path: `/exec/${encodeURIComponent(id)}/resize?h=${s.h}&w=${s.w}` }),
    inspect: () => call({ method: 'GET', path: `/exec/${encodeURIComponent(id)}/json` })
  })

  return {
    ping: () => call({ method: 'GET', path: '/_ping' }),
    getImage: (ref) => ({ inspect: () => call({ method: 'GET', path: `/images/${encodeURIComponent(ref)}/json` }) }),
    getContainer: (id) => {
      const base = `/containers/${encodeURIComponent(id)}`
      return {
        inspect: () => call({ method: 'GET', path: `${base}/json` }),
        start: () => call({ method: 'POST', path: `${base}/start` }),
        remove: (o) => call({ method: 'DELETE', path: `${base}?force=${o.force ? 'true' : 'false'}` }),
        exec: async (o) => execHandle((await call<{ Id: string }>({ method: 'POST', path: `${base}/exec`, body: o })).Id)
      }
    },
    getExec: execHandle,
    getNetwork: (name) => ({ inspect: () => call({ method: 'GET', path: `/networks/${encodeURIComponent(name)}` }) }),
    createContainer: async (o) => {
      const { name, ...body } = o
      const query = name === undefined ? '' : `?name=${encodeURIComponent(name)}`
      return { id: (await call<{ Id: string }>({ method: 'POST', path: `/containers/create${query}`, body })).Id }
    },
    listContainers: (o) => call({ method: 'GET', path: `/containers/json?all=${o.all ? 'true' : 'false'}&filters=${encodeURIComponent(JSON.stringify(o.filters))}` })
  }
}

function collect (res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
  })
}

function messageOf (text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message
    return typeof m === 'string' ? m : text.slice(0, 200)
  } catch {
    return text.slice(0, 200)
  }
}

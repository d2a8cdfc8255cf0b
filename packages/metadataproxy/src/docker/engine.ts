// The few Docker Engine API calls the proxy makes, over docker-modem: the HTTP layer
// of dockerode, by the same maintainers. Loading dockerode itself also loads its gRPC
// stack for BuildKit sessions, about 14 MB of resident memory the proxy never uses.
import Modem from 'docker-modem'
import type Docker from 'dockerode'

export interface DockerApi {
  ping (): Promise<unknown>
  listContainers (opts: { filters: Record<string, string[]>, abortSignal?: AbortSignal }): Promise<Docker.ContainerInfo[]>
  getContainer (id: string): { inspect (opts?: { abortSignal?: AbortSignal }): Promise<Docker.ContainerInspectInfo> }
  getEvents (opts: { filters: Record<string, string[]>, since?: string, abortSignal?: AbortSignal }): Promise<NodeJS.ReadableStream>
  getNetwork (name: string): { inspect (): Promise<Docker.NetworkInspectInfo> }
  createNetwork (opts: Docker.NetworkCreateOptions): Promise<unknown>
}

export function dockerEngine (socketPath: string): DockerApi {
  const modem = new Modem({ socketPath })
  const call = <T>(opts: Modem.DialOptions, signal?: AbortSignal): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      modem.dial(signal === undefined ? opts : { ...opts, abortSignal: signal }, (err, data) => {
        if (err !== null && err !== undefined) reject(err)
        else resolve(data as T)
      })
    })
  const codes = (ok: number[]): Record<number, boolean | string> =>
    Object.fromEntries([...ok.map((c) => [c, true]), [400, 'bad parameter'], [404, 'no such object'], [409, 'conflict'], [500, 'server error']])
  return {
    ping: () => call({ path: '/_ping', method: 'GET', statusCodes: codes([200]) }),
    listContainers: ({ filters, abortSignal }) =>
      call({ path: '/containers/json?', method: 'GET', options: { filters }, statusCodes: codes([200]) }, abortSignal),
    getContainer: (id) => ({
      inspect: (opts = {}) => call({ path: `/containers/${encodeURIComponent(id)}/json`, method: 'GET', statusCodes: codes([200]) }, opts.abortSignal)
    }),
    getEvents: ({ filters, since, abortSignal }) =>
      call({ path: '/events?', method: 'GET', options: since === undefined ? { filters } : { filters, since }, isStream: true, statusCodes: codes([200]) }, abortSignal),
    getNetwork: (name) => ({
      inspect: () => call({ path: `/networks/${encodeURIComponent(name)}`, method: 'GET', statusCodes: codes([200]) })
    }),
    createNetwork: (opts) => call({ path: '/networks/create?', method: 'POST', options: opts, statusCodes: codes([201]) })
  }
}

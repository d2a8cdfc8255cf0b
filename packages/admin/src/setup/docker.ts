// The two questions setup and doctor ask the Docker Engine, over docker-modem (the HTTP
// layer of dockerode, without its gRPC stack): does it answer, and is an image there.
import Modem from 'docker-modem'

export interface DockerProbe {
  ping (): Promise<void>
  // The image's id when it exists, undefined when the Engine says 404.
  imageId (ref: string): Promise<string | undefined>
}

const IMAGE_REF = /^[a-zA-Z0-9][a-zA-Z0-9._/:@-]{0,254}$/

export function dockerProbe (socketPath: string, timeoutMs = 5000): DockerProbe {
  const modem = new Modem({ socketPath, timeout: timeoutMs })
  const call = <T>(opts: Modem.DialOptions): Promise<T> => new Promise<T>((resolve, reject) => {
    modem.dial(opts, (err, data) => {
      if (err !== null && err !== undefined) reject(err)
      else resolve(data as T)
    })
  })
  return {
    async ping () {
      await call({ path: '/_ping', method: 'GET', statusCodes: { 200: true, 500: 'server error' } })
    },
    async imageId (ref) {
      // The Engine routes /images/{name}/json with the slashes of the name unencoded.
      if (!IMAGE_REF.test(ref)) throw new Error(`${JSON.stringify(ref)} is not an image reference`)
      try {
        const info = await call<{ Id?: string }>({ path: `/images/${ref}/json`, method: 'GET', statusCodes: { 200: true, 404: 'no such image', 500: 'server error' } })
        return info.Id ?? ref
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined
        throw err
      }
    }
  }
}

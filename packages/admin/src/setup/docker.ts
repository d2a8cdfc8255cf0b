// The questions setup and doctor ask the Docker Engine: does it answer, is an image
// there, how is a network set up. A narrow view of the image commands' Engine adapter
// (image/docker.ts), plus one network inspect.
import Modem from 'docker-modem'
import type { NetworkFacts } from '@bastion/metadataproxy'
import { dockerImageEngine } from '../image/docker.ts'

export interface DockerProbe {
  ping (): Promise<void>
  // The image's id when it exists, undefined when the Engine says 404.
  imageId (ref: string): Promise<string | undefined>
  // The network's inspect answer, undefined when the Engine says 404.
  network (name: string): Promise<NetworkFacts | undefined>
}

export function dockerProbe (socketPath: string, timeoutMs = 5000): DockerProbe {
  const engine = dockerImageEngine(socketPath, { timeoutMs })
  const modem = new Modem({ socketPath, timeout: timeoutMs })
  return {
    ping: () => engine.ping(),
    network: (name) => new Promise((resolve, reject) => {
      modem.dial({ path: `/networks/${encodeURIComponent(name)}`, method: 'GET', statusCodes: { 200: true, 404: 'no such network', 500: 'server error' } }, (err, data) => {
        if ((err as { statusCode?: number } | null)?.statusCode === 404) resolve(undefined)
        else if (err !== null && err !== undefined) reject(err)
        else resolve(data as NetworkFacts)
      })
    }),
    async imageId (ref) {
      const info = await engine.inspectImage(ref)
      // An answer without an id still means the image is there.
      return info === undefined ? undefined : (info.id ?? ref)
    }
  }
}

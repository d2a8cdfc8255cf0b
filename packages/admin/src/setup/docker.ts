// The two questions setup and doctor ask the Docker Engine: does it answer, and is an
// image there. A narrow view of the image commands' Engine adapter (image/docker.ts).
import { dockerImageEngine } from '../image/docker.ts'

export interface DockerProbe {
  ping (): Promise<void>
  // The image's id when it exists, undefined when the Engine says 404.
  imageId (ref: string): Promise<string | undefined>
}

export function dockerProbe (socketPath: string, timeoutMs = 5000): DockerProbe {
  const engine = dockerImageEngine(socketPath, { timeoutMs })
  return {
    ping: () => engine.ping(),
    async imageId (ref) {
      const info = await engine.inspectImage(ref)
      // An answer without an id still means the image is there.
      return info === undefined ? undefined : (info.id ?? ref)
    }
  }
}

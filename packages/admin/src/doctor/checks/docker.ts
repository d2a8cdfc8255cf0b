// Docker reachable: every socket the config names (the shell's, the proxy's) answers a
// ping. The image check needs this, so it records the answer.
import { ok, problems, type Check, type Problem } from '../check.ts'

export const dockerCheck: Check = {
  name: 'docker',
  summary: 'the Docker Engine answers on the sockets the shell and the proxy use',
  async run (ctx) {
    const sockets = [...new Set([ctx.config.shell.shell.dockerSocket, ctx.config.proxy.metadataproxy.docker.socketPath])]
    const found: Problem[] = []
    for (const socket of sockets) {
      try {
        await ctx.docker(socket).ping()
      } catch (err) {
        found.push({
          problem: `the Docker Engine does not answer on ${socket} (${(err as Error).message})`,
          fix: 'start it (systemctl start docker) and see `journalctl -u docker`; or fix shell.dockerSocket / metadataproxy.docker.socketPath'
        })
      }
    }
    ctx.dockerUp = found.length === 0
    return found.length === 0 ? ok(`the Docker Engine answers on ${sockets.join(' and ')}`) : problems(found)
  }
}

// The bastion Docker network keeps containers apart: inter-container traffic off and
// IPv6 off, as the proxy checks before it serves (it refuses otherwise). With the
// iptables check (the egress policy is part of the proxy's rule set) this is the whole
// of what a container may reach.
import { networkProblem } from '@bastion/metadataproxy'
import { ok, problems, skipped, type Check } from '../check.ts'

export const networkCheck: Check = {
  name: 'network',
  summary: 'the bastion Docker network has inter-container traffic and IPv6 off',
  async run (ctx) {
    if (ctx.dockerUp === false) return skipped('Docker does not answer')
    const { name } = ctx.config.proxy.network
    let info
    try {
      info = await ctx.docker(ctx.config.proxy.metadataproxy.docker.socketPath).network(name)
    } catch (err) {
      return problems([{ problem: `the Docker network ${name} could not be inspected (${(err as Error).message})`, fix: 'run doctor as root, with the Docker Engine up' }])
    }
    if (info === undefined) {
      return problems([{ problem: `the Docker network ${name} does not exist, so no container can start`, fix: 'start the metadata proxy (systemctl start bastion-metadataproxy): it creates the network' }])
    }
    const problem = networkProblem(info, name)
    if (problem !== undefined) return problems([{ problem: `${problem}; the metadata proxy refuses to serve it`, fix: `stop the containers on it, docker network rm ${name}, then systemctl restart bastion-metadataproxy` }])
    return ok(`the Docker network ${name} has inter-container traffic and IPv6 off`)
  }
}

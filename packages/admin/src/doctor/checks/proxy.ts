// Proxy healthy: its admin listener answers /healthz with 200 (the container index is
// ready and the iptables rules are in place, as the proxy sees them).
import { ok, problems, type Check } from '../check.ts'

const TIMEOUT_MS = 3000
const UNIT = 'bastion-metadataproxy'

export const proxyCheck: Check = {
  name: 'proxy',
  summary: 'the metadata proxy answers /healthz on its admin port',
  async run (ctx) {
    const { host, port } = ctx.config.proxy.metadataproxy.admin
    if (port === 0) {
      return problems([{ problem: 'metadataproxy.admin.port is 0 (a random port), so its health cannot be checked', fix: 'set metadataproxy.admin.port to a fixed port (default 8776)' }])
    }
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`
    const answer = await ctx.probe.get(url, { timeoutMs: TIMEOUT_MS })
    if ('status' in answer && answer.status === 200) return ok(`the metadata proxy is healthy (${url})`)
    if ('status' in answer) {
      return problems([{ problem: `the metadata proxy is unhealthy: ${url} answered ${answer.status} ${answer.body.trim()}`, fix: `see \`journalctl -u ${UNIT}\`; \`bastion doctor\`'s iptables line says whether the rules are missing` }])
    }
    return problems([{ problem: `the metadata proxy does not answer on ${url} (${answer.code ?? answer.error})`, fix: `systemctl start ${UNIT}, then see \`journalctl -u ${UNIT}\`` }])
  }
}

// The host cannot become a user: of the host's own processes only the metadata proxy
// (running as its own system user) and holders of the group bastion-imds reach IMDS.
// Checked four ways: the guard is on; its accounts exist and the group has no members;
// the running proxy is that user; and two real probes, a process as nobody and one as
// root without the group, both refused at once by the kernel.
import { IMDS_GROUP, PROXY_USER } from '@bastion/metadataproxy'
import { ok, problems, type Check, type DoctorContext, type Problem } from '../check.ts'
import { guardAccounts } from '../../setup/host-guard.ts'

const IMDS = '169.254.169.254'
const PROBE_TIMEOUT_MS = 3000
const SETUP_FIX = 'bastion setup iptables'

// bash's /dev/tcp: exit 0 when the connection opened; "Connection refused" is the
// guard's reset.
async function probe (ctx: DoctorContext, as: string[]): Promise<'open' | 'refused' | 'unreachable'> {
  const r = await ctx.exec.run('setpriv', [...as, '--', 'bash', '-c', `exec 3<>/dev/tcp/${IMDS}/80`], { timeoutMs: PROBE_TIMEOUT_MS }).catch(() => undefined)
  if (r === undefined) return 'unreachable'
  if (r.exitCode === 0) return 'open'
  return /Connection refused/.test(r.stderr) ? 'refused' : 'unreachable'
}

export const hostGuardCheck: Check = {
  name: 'host-guard',
  summary: `only the metadata proxy's user ${PROXY_USER} and holders of ${IMDS_GROUP} reach IMDS from the host`,
  async run (ctx) {
    const mp = ctx.config.proxy.metadataproxy
    if (!mp.iptables.hostGuard) {
      return problems([{ problem: "metadataproxy.iptables.hostGuard is off: any process on this host can fetch the instance role's credentials and assume any person's role as them", fix: `set metadataproxy.iptables.hostGuard: true, then ${SETUP_FIX}` }])
    }
    const found: Problem[] = []
    const accounts = await guardAccounts(ctx.exec)
    if (accounts.uid === undefined) found.push({ problem: `the proxy's system user ${PROXY_USER} does not exist`, fix: SETUP_FIX })
    if (accounts.gid === undefined) found.push({ problem: `the group ${IMDS_GROUP} does not exist`, fix: SETUP_FIX })
    if (accounts.members.length > 0) found.push({ problem: `${accounts.members.join(', ')} ${accounts.members.length === 1 ? 'is a member' : 'are members'} of ${IMDS_GROUP}, and so reach the instance role's credentials`, fix: `${SETUP_FIX} (it removes them)` })

    const { host, port } = mp.admin
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/process`
    const answer = port === 0 ? undefined : await ctx.probe.get(url, { timeoutMs: PROBE_TIMEOUT_MS })
    let runsAs = 'not asked (the proxy does not answer; see the proxy line)'
    if (answer !== undefined && 'status' in answer && answer.status === 200) {
      const uid = (JSON.parse(answer.body) as { uid?: number }).uid
      runsAs = `runs as uid ${String(uid)}`
      if (uid === 0) found.push({ problem: `the metadata proxy runs as root, so the guard cannot tell it from root's other processes`, fix: `run it as ${PROXY_USER}, as the shipped bastion-metadataproxy unit does (bastion setup units)` })
      else if (accounts.uid !== undefined && uid !== accounts.uid) found.push({ problem: `the metadata proxy runs as uid ${String(uid)}, not as ${PROXY_USER} (uid ${accounts.uid}), so the guard refuses its own calls to IMDS`, fix: `run it as ${PROXY_USER} (bastion setup units)` })
    }

    const asNobody = await probe(ctx, ['--reuid=nobody', '--regid=nogroup', '--clear-groups'])
    const asRoot = await probe(ctx, ['--clear-groups'])
    if (asNobody === 'open') found.push({ problem: `a process as nobody reached IMDS (${IMDS}:80)`, fix: `${SETUP_FIX}; \`bastion doctor\`'s iptables line names the missing rules` })
    if (asRoot === 'open') found.push({ problem: `a root process without ${IMDS_GROUP} reached IMDS (${IMDS}:80)`, fix: `${SETUP_FIX}; \`bastion doctor\`'s iptables line names the missing rules` })
    if (found.length > 0) return problems(found)
    const probes = asNobody === 'refused' && asRoot === 'refused' ? 'refused' : 'found no IMDS at all (off EC2?)'
    return ok(`the guard is on; the proxy ${runsAs}; probes as nobody and as root without ${IMDS_GROUP} ${probes}. Set the instance's IMDS hop limit to 1 as well (the instance line checks it)`)
  }
}

// bastion-shell's installed files, as install.sh left them: the login shell connects to
// the broker socket the config puts in shell.broker.runDir; the login shell, the Go
// client, the agent and the broker's wrapper are root's alone (whoever could replace
// one would run code in every login, in every container as its user, or as root);
// shell.agent.path names the agent install.sh installs; and the sudoers rule of the old
// sudo-based login path is gone.
import { lstat, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { replaceableBy } from '../../setup/trusted.ts'
import { ok, problems, type Check, type DoctorContext, type Problem } from '../check.ts'

// What runs each file: whoever but root could replace it would run their code there.
const STAKES = {
  bin: "every user's login runs it",
  client: "every user's login runs it",
  agent: "every user's container runs it as that user",
  broker: 'root runs it'
} as const
type Key = keyof typeof STAKES

// The fix that reinstalls: setup for the default copy, install.sh for another instance.
function reinstall (ctx: DoctorContext): string {
  const instance = ctx.paths.instance
  return instance === '' ? 'bastion setup shell' : `packages/shell/host/install.sh --instance ${instance} (as for the first install)`
}

// The socket as install.sh writes it into the login shell: <run dir>/broker.sock.
const brokerSocket = (ctx: DoctorContext): string => `${ctx.config.shell.shell.broker.runDir}/broker.sock`

async function socketProblem (ctx: DoctorContext): Promise<Problem | undefined> {
  const want = brokerSocket(ctx)
  const text = await readFile(ctx.paths.shell.bin, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const line = /^socket=(.*)$/m.exec(text)?.[1]
  if (line === want) return undefined
  return {
    problem: `the login shell ${ctx.paths.installed.bin} connects to ${line ?? 'no broker socket (it is from before the session broker)'}, but shell.broker.runDir puts the broker at ${want}, so logins fail`,
    fix: `${reinstall(ctx)} (it installs for --run-dir ${ctx.config.shell.shell.broker.runDir}), then systemctl restart bastion-shell-broker`
  }
}

// Only root may replace the file, or anything in its directory (setup's own rule); the
// problem names the owner and mode found.
function writableBy (st: { uid: number, mode: number, isDirectory (): boolean }): string | undefined {
  return replaceableBy(st) === undefined ? undefined : `owner uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}`
}

async function ownerProblems (ctx: DoctorContext): Promise<Problem[]> {
  const found: Problem[] = []
  const dirs = new Map<string, string>()
  for (const key of Object.keys(STAKES) as Key[]) {
    const path = ctx.paths.shell[key]
    const st = await lstat(path).catch(() => undefined)
    if (st === undefined || !st.isFile()) {
      found.push({ problem: `${path} is ${st === undefined ? 'missing' : 'not a regular file'}, and ${STAKES[key]}`, fix: reinstall(ctx) })
      continue
    }
    const who = writableBy(st)
    if (who !== undefined) found.push({ problem: `${path} can be replaced by someone other than root (${who}), yet ${STAKES[key]}`, fix: `chown root:root ${path} && chmod go-w ${path}, then find out who changed it` })
    dirs.set(dirname(path), STAKES[key])
  }
  for (const [dir, stakes] of dirs) {
    const who = writableBy(await lstat(dir))
    if (who !== undefined) found.push({ problem: `${dir} lets someone other than root replace what is in it (${who}), yet ${stakes}`, fix: `chown root:root ${dir} && chmod go-w ${dir}, then find out who changed it` })
  }
  return found
}

function agentPathProblem (ctx: DoctorContext): Problem | undefined {
  const configured = ctx.config.shell.shell.agent.path
  const installed = ctx.paths.installed.agent
  if (configured === installed) return undefined
  return {
    problem: `shell.agent.path is ${configured}, not the agent install.sh installs (${installed}), so containers run another binary or none`,
    fix: `set shell.agent.path to ${installed}${ctx.paths.instance === '' ? ' (its default: leave it out)' : ''}, then systemctl restart bastion-shell-broker`
  }
}

export const shellCheck: Check = {
  name: 'shell',
  summary: "bastion-shell's files: the login shell names the configured broker socket; it, the client, the agent and the broker's wrapper are root's alone; shell.agent.path is that agent; no sudoers rule is left",
  async run (ctx) {
    const found: Problem[] = []
    const socket = await socketProblem(ctx)
    if (socket !== undefined) found.push(socket)
    found.push(...await ownerProblems(ctx))
    const agent = agentPathProblem(ctx)
    if (agent !== undefined) found.push(agent)
    const legacy = ctx.paths.shell.legacySudoers
    if (await lstat(legacy).then(() => true, () => false)) {
      found.push({ problem: `${legacy}, the sudoers rule of the old sudo-based login path, is still there, a way to root that nothing needs`, fix: `${reinstall(ctx)} (it removes the rule and the old shell-session runner)` })
    }
    if (found.length > 0) return problems(found)
    return ok(`${ctx.paths.installed.bin} connects to ${brokerSocket(ctx)}; it, the client, the agent and the broker's wrapper are root's alone; no sudoers rule is left`)
  }
}

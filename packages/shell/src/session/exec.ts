// A session as a `docker exec` in the user's container: the fallback for containers
// without an agent (made before the agent existed) and for an agent that does not
// answer. Costs 50-80 ms of runc per session, which the agent avoids.
import { readdir, readFile } from 'node:fs/promises'
import type { Duplex, Writable } from 'node:stream'
import type { Engine, Exec } from '../docker/engine.ts'
import type { Logger } from 'pino'
import { demux } from './demux.ts'
import { ppidOf } from '../proc.ts'
import { homeOf, type Backend, type CommandSpec } from './backend.ts'

export async function startExecSession (docker: Engine, containerId: string, spec: CommandSpec, log: Logger): Promise<Backend> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: commandLine(spec),
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: spec.tty,
    Env: spec.env,
    User: `${spec.uid}:${spec.gid}`,
    WorkingDir: homeOf(spec.user)
  })
  const stream: Duplex = await exec.start({ hijack: true, stdin: true, Tty: spec.tty })
  const pid = (await exec.inspect().catch(() => undefined))?.Pid
  return {
    kind: 'exec',
    pid,
    stdin: stream,
    run (stdout: Writable, stderr: Writable): Promise<number> {
      const finished = new Promise<void>((resolve) => {
        if (stream.destroyed) { resolve(); return }
        stream.once('end', resolve)
        stream.once('close', resolve)
        stream.once('error', (err) => { log.warn({ err }, 'exec stream failed'); resolve() })
      })
      if (spec.tty) stream.pipe(stdout, { end: false })
      else demux(stream, stdout, stderr)
      return finished.then(() => exitCodeOf(exec))
    },
    resize (cols: number, rows: number): void {
      exec.resize({ h: rows, w: cols }).catch((err: unknown) => log.debug({ err }, 'resize failed'))
    },
    async kill (): Promise<void> {
      await killExec(exec, log)
      stream.destroy()
    }
  }
}

// With a TTY the window size is set inside the container before the user's program
// starts: an exec resize only arrives after the program may have asked for the size.
// The command travels as an argument, never spliced into the script.
export function commandLine (spec: Pick<CommandSpec, 'command' | 'tty' | 'cols' | 'rows'>): string[] {
  if (!spec.tty) return spec.command === undefined ? ['bash', '-l'] : ['bash', '-c', spec.command]
  const size = ['bastion', String(spec.cols), String(spec.rows)]
  return spec.command === undefined
    ? ['bash', '-c', 'stty cols "$1" rows "$2" 2>/dev/null; exec bash -l', ...size]
    : ['bash', '-c', 'stty cols "$1" rows "$2" 2>/dev/null; exec bash -c "$3"', ...size, spec.command]
}

async function exitCodeOf (exec: Exec): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect().catch(() => undefined)
    if (info !== undefined && !info.Running) return info.ExitCode ?? -1
    await new Promise((r) => setTimeout(r, 20))
  }
  return -1
}

// Docker has no "kill exec": find the exec's process on the host and kill it and all
// its descendants, so nothing it started outlives the session.
async function killExec (exec: Exec, log: Logger): Promise<void> {
  const info = await exec.inspect().catch(() => undefined)
  const pid = info?.Pid
  if (pid === undefined || pid <= 0 || info?.Running !== true) return
  const tree = await descendants(pid)
  for (const p of [pid, ...tree]) {
    try { process.kill(p, 'SIGKILL') } catch { /* already gone */ }
  }
  log.info({ pid, killed: tree.length + 1 }, 'killed the session processes')
}

async function descendants (root: number): Promise<number[]> {
  const children = new Map<number, number[]>()
  for (const entry of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    const ppid = ppidOf(stat)
    if (!Number.isInteger(ppid)) continue
    const list = children.get(ppid) ?? []
    list.push(Number(entry))
    children.set(ppid, list)
  }
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) { out.push(c); queue.push(c) }
  }
  return out
}

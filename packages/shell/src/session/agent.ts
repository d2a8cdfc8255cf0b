// A session run by the agent in the user's container (docs/shell/protocol.md, "Broker
// and agent"): a socket in the container's root-owned agent directory, owned by the
// user, that the agent notices and connects to. The agent forks the command, which
// therefore inherits exactly the container's confinement, in a few milliseconds.
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { frameChannel, frameWriter, json, nextFrame, tellsWhenWritten, whenWritten, type Frame, type FrameChannel } from '../protocol/frame.ts'
import { borrowReads, type BorrowedReads } from '../protocol/borrowed-reads.ts'
import { ShellError } from '../errors.ts'
import { ownedSocket } from '../protocol/owned-socket.ts'
import { homeOf, type Backend, type CommandSpec } from './backend.ts'

export interface AgentTarget {
  // The host side of the container's /run/bastion-agent (root-owned).
  dir: string
  // Root-only: where the session's socket is made before it is moved into dir.
  privateDir: string
  session: string
  timeoutMs: number
}

// Sessions wait this long for the agent's exit status after asking it to kill.
const KILL_GRACE_MS = 2000

// The backend, or undefined when the agent did not answer in time: nothing has started
// then, and the caller may fall back to docker exec. A refusal from the agent (the
// command cannot start) is an error: docker exec would fail the same way.
export async function startAgentSession (target: AgentTarget, spec: CommandSpec, log: Logger): Promise<Backend | undefined> {
  // Root's, mode 0600: only the agent, root in the container, can connect; none of the
  // user's processes can, in the container or on the host (docs/shell/agent-trust.md).
  const listener = await ownedSocket(target.privateDir, join(target.dir, `${target.session}.sock`), 0, 0)
  const accepted = await listener.accepted(target.timeoutMs)
  if (accepted === undefined) {
    log.warn({ dir: target.dir, timeoutMs: target.timeoutMs }, 'the container\'s agent did not connect in time')
    return undefined
  }
  // Output in pieces as it arrives, read into a buffer used again once nothing holds
  // it: the bulk path copies no frame to make it whole, and a read allocates only when
  // frames of the last one still wait for a paused consumer.
  const reads = borrowReads(accepted)
  const channel = frameChannel(reads.socket, { streamData: true, reads })
  const socket = channel.socket
  channel.sendJson('R', {
    argv: spec.command === undefined ? ['bash', '-l'] : ['bash', '-c', spec.command],
    env: spec.env,
    tty: spec.tty,
    cols: spec.cols,
    rows: spec.rows,
    cwd: homeOf(spec.user),
    // The agent is root: it runs the command as the proven user, with their group.
    uid: spec.uid,
    gid: spec.gid,
    groups: [spec.gid]
  })
  let answer: Frame
  try {
    answer = await nextFrame(channel, ['S', 'F'], target.timeoutMs, 'the agent\'s answer')
  } catch (err) {
    socket.destroy()
    log.warn({ err }, 'the container\'s agent did not answer the session request')
    return undefined
  }
  const body = json(answer)
  if (answer.type === 'F') {
    socket.destroy()
    const detail = `the agent could not start the session: ${String(body.error)} (${String(body.errno)})`
    throw new ShellError(body.errno === 'EAGAIN' ? 'BASTION_SHELL_LIMITS_REACHED' : 'BASTION_SHELL_INTERNAL', detail)
  }
  return agentBackend(channel, reads, typeof body.pid === 'number' ? body.pid : undefined, log)
}

function agentBackend (channel: FrameChannel, reads: BorrowedReads, pid: number | undefined, log: Logger): Backend {
  const socket = channel.socket
  let exitCode: number | undefined
  // After X the agent reads no more: nothing is sent then (it would only fail).
  const stdin = frameWriter(channel, '0', {
    stopped: () => exitCode !== undefined,
    onEnd: () => { if (exitCode === undefined) channel.send('E') }
  })
  return {
    kind: 'agent',
    pid,
    stdin,
    run (stdout: Writable, stderr: Writable): Promise<number> {
      // Output goes out as views of the read buffer: it is read into again only once
      // both writers have handed their bytes to the kernel. Writers that cannot say so
      // may keep what they are given: each read then gets a new buffer.
      if (tellsWhenWritten(stdout) && tellsWhenWritten(stderr)) reads.released = (callback) => whenWritten(stdout, () => whenWritten(stderr, callback))
      return new Promise<number>((resolve) => {
        const finish = (): void => { resolve(exitCode ?? -1); socket.destroy() }
        channel.on('frame', (f) => {
          if (f.type === '1' || f.type === '2') {
            const target = f.type === '1' ? stdout : stderr
            if (!target.write(f.payload)) {
              channel.pause()
              target.once('drain', () => channel.resume())
            }
          } else if (f.type === 'X') {
            const code = json(f).code
            exitCode = typeof code === 'number' && Number.isInteger(code) ? code : -1
            finish()
          } else {
            log.warn({ type: f.type }, 'unexpected frame from the agent; ending the session')
            finish()
          }
        })
        // The channel's end, never the socket's close: the agent hangs up right after
        // X, and the socket may close while the last output and X still wait in the
        // channel for a slow client.
        channel.once('end', finish)
        channel.once('error', (err) => { log.warn({ err }, 'the agent connection failed'); finish() })
        channel.resume()
      })
    },
    resize (cols: number, rows: number): void {
      if (exitCode === undefined) channel.sendJson('W', { cols, rows })
    },
    kill (): Promise<void> {
      if (socket.destroyed || exitCode !== undefined) return Promise.resolve()
      channel.send('K')
      // The agent answers with X once everything is dead; a silent one is cut off,
      // and the agent kills on a closed connection as well.
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => { socket.destroy(); resolve() }, KILL_GRACE_MS)
        socket.once('close', () => { clearTimeout(timer); resolve() })
      })
    }
  }
}

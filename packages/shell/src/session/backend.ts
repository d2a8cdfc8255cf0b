// What runs a session's command: the container's agent (session/agent.ts) or, for
// containers without one, a `docker exec` (session/exec.ts). The relay (session/run.ts)
// sees only this.
import type { Writable } from 'node:stream'

export interface Backend {
  readonly kind: 'agent' | 'exec'
  // The command's pid as the backend knows it (in the container for the agent, on
  // the host for exec), for the log.
  readonly pid: number | undefined
  // The user's input; end() is EOF on the command's stdin. Honours backpressure.
  readonly stdin: Writable
  // Delivers the command's output (stderr only without a TTY) with backpressure, and
  // resolves with its exit status once it ended and its output was delivered; -1 when
  // the backend lost track of it (the container went away).
  run (stdout: Writable, stderr: Writable): Promise<number>
  resize (cols: number, rows: number): void
  // Ends the command and everything it started; run() then resolves.
  kill (): Promise<void>
}

export interface CommandSpec {
  // undefined: an interactive login shell.
  command: string | undefined
  tty: boolean
  cols: number
  rows: number
  // NAME=value, already filtered (session/env.ts).
  env: string[]
  user: string
  uid: number
  gid: number
}

export function homeOf (user: string): string {
  return `/home/${user}`
}

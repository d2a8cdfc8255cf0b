// The broker's run directory, shell.broker.runDir, laid out in one place
// (docs/shell/protocol.md): broker.sock, where every login shell connects; private/
// (root only), where sockets are made before they are handed over, and the workers'
// config cache; auth/, the one-time identity sockets; agents/<container>/, each
// container's session sockets, mounted read-only into it.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { ShellConfig } from '../config/schema.ts'

export interface RunDirs { runDir: string, socket: string, privateDir: string, configCache: string, authDir: string, agentsDir: string }

export function runDirs (runDir: string): RunDirs {
  const privateDir = join(runDir, 'private')
  return { runDir, socket: join(runDir, 'broker.sock'), privateDir, configCache: join(privateDir, 'config'), authDir: join(runDir, 'auth'), agentsDir: join(runDir, 'agents') }
}

// The host directory a container sees as /run/bastion-agent. Named by a hash of the
// container's name, so that socket paths stay short.
export function agentDir (config: Readonly<ShellConfig>, container: string): string {
  return join(runDirs(config.shell.broker.runDir).agentsDir, createHash('sha256').update(container).digest('hex').slice(0, 16))
}

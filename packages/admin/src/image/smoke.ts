// The smoke test every toolbox image passes before it can become shell.image: its
// kubectl, aws and k9s run, and so does the agent, bind-mounted read-only where the
// login shell mounts it (packages/shell/src/container/spec.ts). Each runs in a
// container of its own with no network (`docker run --rm --network none`), so the test
// reaches nothing and leaves nothing. A failing image is never tagged or configured.
import { existsSync } from 'node:fs'
import { AGENT_BIN } from '@bastion/shell'
import type { ImageEngine } from './docker.ts'
import { imageError } from './errors.ts'

export interface SmokeCheck { name: string, argv: string[], binds: string[] }

// The agent has no --version: -h is how install.sh checks that it runs (exit 0).
export function smokeChecks (agentPath: string | undefined): SmokeCheck[] {
  const checks: SmokeCheck[] = [
    { name: 'kubectl', argv: ['kubectl', 'version', '--client'], binds: [] },
    { name: 'aws', argv: ['aws', '--version'], binds: [] },
    { name: 'k9s', argv: ['k9s', 'version'], binds: [] }
  ]
  if (agentPath !== undefined) checks.push({ name: 'agent', argv: [AGENT_BIN, '-h'], binds: [`${agentPath}:${AGENT_BIN}:ro`] })
  return checks
}

export interface SmokeOptions {
  agentPath: string // shell.agent.path; a missing file is skipped (sessions then use docker exec)
  timeoutMs: number // per check
  output: NodeJS.WritableStream // one line per check
  exists?: (path: string) => boolean
}

// Throws BASTION_ADMIN_IMAGE_SMOKE_FAILED naming every check that failed.
export async function smokeTest (engine: ImageEngine, image: string, opts: SmokeOptions): Promise<void> {
  const hasAgent = (opts.exists ?? existsSync)(opts.agentPath)
  if (!hasAgent) opts.output.write(`smoke test: agent skipped: shell.agent.path ${opts.agentPath} does not exist (sessions use docker exec)\n`)
  const failed: string[] = []
  for (const check of smokeChecks(hasAgent ? opts.agentPath : undefined)) {
    const command = check.argv.join(' ')
    let why: string | undefined
    try {
      const r = await engine.run({ image, argv: check.argv, binds: check.binds, timeoutMs: opts.timeoutMs })
      if (r.exitCode !== 0) why = `exited ${r.exitCode}: ${reason(r.output)}`
    } catch (err) {
      why = (err as Error).message
    }
    opts.output.write(`smoke test: ${command}: ${why === undefined ? 'ok' : `FAILED (${why})`}\n`)
    if (why !== undefined) failed.push(`${check.name} (\`${command}\`) ${why}`)
  }
  if (failed.length > 0) {
    throw imageError('BASTION_ADMIN_IMAGE_SMOKE_FAILED', `image ${image} failed its smoke test, so it is neither tagged nor made shell.image: ${failed.join('; ')}`)
  }
}

// The line of a failed run that says why: Docker's own "executable file not found" or
// error line when the command could not start, else the command's last line.
function reason (output: string): string {
  const lines = output.trim().split('\n').map((l) => l.trim())
  const why = lines.find((l) => /not found/i.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? String(lines[lines.length - 1])
  return why === '' ? 'no output' : why.slice(0, 300)
}

// Running iptables: a narrow command runner (unit tests swap in a fake kernel), one
// iptables call with the xtables lock and its exit codes as answers, and a table dump
// read back into argv.
import { execa } from 'execa'
import { BastionError, isBastionError } from '../errors.ts'
import type { Table } from './rules.ts'

export interface CommandResult { exitCode: number; stdout: string; stderr: string }

export interface CommandRunner {
  run(cmd: string, args: string[], signal?: AbortSignal): Promise<CommandResult>
}

// Seconds to wait for the xtables lock that Docker and other tools also take.
const LOCK_WAIT_SECONDS = '5'

// The real runner. reject:false because exit codes are answers here (-C exits 1 for
// "no such rule"); only a command that could not run at all is thrown.
export function execaRunner (options: { timeoutMs?: number } = {}): CommandRunner {
  const timeout = options.timeoutMs ?? 15_000
  return {
    async run (cmd, args, signal) {
      const result = await execa(cmd, args, {
        reject: false,
        timeout,
        stdin: 'ignore',
        // Stable English messages in stderr, which ends up in our errors and logs.
        env: { LC_ALL: 'C' },
        ...(signal === undefined ? {} : { cancelSignal: signal })
      })
      if (result.exitCode === undefined) {
        if (signal?.aborted === true) throw signal.reason
        throw new BastionError('BASTION_METADATAPROXY_IPTABLES_FAILED',
          `${cmd} could not run: ${result.shortMessage ?? 'unknown error'}`, { cause: result })
      }
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }
    }
  }
}

export async function iptables (runner: CommandRunner, table: Table, args: string[], signal: AbortSignal | undefined,
  okCodes: readonly number[] = [0]): Promise<CommandResult> {
  signal?.throwIfAborted()
  // filter6 is IPv6's filter table: ip6tables' own.
  const cmd = table === 'filter6' ? 'ip6tables' : 'iptables'
  const argv = ['-w', LOCK_WAIT_SECONDS, '-t', table === 'filter6' ? 'filter' : table, ...args]
  const shown = `${cmd} ${argv.join(' ')}`
  let result: CommandResult
  try {
    result = await runner.run(cmd, argv, signal)
  } catch (err) {
    if (signal?.aborted === true || isBastionError(err)) throw err
    throw new BastionError('BASTION_METADATAPROXY_IPTABLES_FAILED', `${shown} could not run: ${String(err)}`, { cause: err })
  }
  if (!okCodes.includes(result.exitCode)) {
    throw new BastionError('BASTION_METADATAPROXY_IPTABLES_FAILED',
      `${shown} exited with ${result.exitCode}: ${result.stderr.trim()}`,
      { cause: { command: cmd, args: argv, ...result } })
  }
  return result
}

// Splits one line of `iptables -S` back into argv; iptables quotes arguments with spaces
// (comments) and escapes quotes and backslashes inside them.
export function splitRuleLine (line: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (c === '\\' && quoted && i + 1 < line.length) {
      word += line[++i]
    } else if (c === '"') {
      quoted = !quoted
      inWord = true
    } else if (/\s/.test(c) && !quoted) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}

// One `-S` per table rather than `-S CHAIN`: for a missing chain iptables-nft exits 1
// with a misleading message, indistinguishable from other failures.
export async function dumpTable (runner: CommandRunner, table: Table, signal?: AbortSignal): Promise<string[][]> {
  const { stdout } = await iptables(runner, table, ['-S'], signal)
  return stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')).map(splitRuleLine)
}

export function jumpTarget (args: readonly string[]): string | undefined {
  const j = args.indexOf('-j')
  return j === -1 ? undefined : args[j + 1]
}

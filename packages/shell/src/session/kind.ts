// What a session is, for its audit line: an interactive shell, a command, or a file
// transfer (scp, sftp, rsync) with its direction and paths. A transfer is recognised
// only as the OpenSSH and rsync clients send it: one program, its server-side flags
// and plain or single-quoted words, nothing a shell would treat specially. Anything
// else is a command, which is recorded like a shell, so no name can hide a command
// from the recording (login.ts records every session but a transfer).

export type SessionKind = 'shell' | 'command' | 'scp' | 'sftp' | 'rsync'

export interface Transfer {
  // upload: to the bastion; download: from it; both: sftp, which may do either.
  direction: 'upload' | 'download' | 'both'
  // The paths named on the command line (sftp names none).
  paths: string[]
}

export interface SessionKindInfo {
  kind: SessionKind
  transfer: Transfer | null
}

export function sessionKind (command: string | undefined): SessionKindInfo {
  if (command === undefined) return { kind: 'shell', transfer: null }
  const words = plainWords(command)
  const asCommand: SessionKindInfo = { kind: 'command', transfer: null }
  if (words === undefined || words.length === 0) return asCommand
  const program = words[0]!
  const name = program.slice(program.lastIndexOf('/') + 1)
  const args = words.slice(1)
  if (program === 'internal-sftp' || name === 'sftp-server') {
    // sftp-server's flags: logging, umask, start directory, request lists; no paths.
    return args.every((a) => /^-[A-Za-z]+$|^[A-Za-z0-9_%,:/.-]+$/.test(a)) ? { kind: 'sftp', transfer: { direction: 'both', paths: [] } } : asCommand
  }
  if (name === 'scp') return scp(args) ?? asCommand
  if (name === 'rsync') return rsync(args) ?? asCommand
  return asCommand
}

// scp's server side: -t (sink: the client uploads) or -f (source: it downloads).
function scp (args: string[]): SessionKindInfo | undefined {
  let direction: Transfer['direction'] | undefined
  const paths: string[] = []
  let options = true
  for (const a of args) {
    if (options && a === '--') { options = false; continue }
    if (options && /^-[A-Za-z]+$/.test(a)) {
      if (a.includes('t')) direction = 'upload'
      if (a.includes('f')) direction = direction === undefined ? 'download' : undefined
      continue
    }
    paths.push(a)
  }
  return direction === undefined ? undefined : { kind: 'scp', transfer: { direction, paths } }
}

// rsync's server side: `rsync --server [--sender] FLAGS . PATH...`. --daemon (whose
// configuration may run programs) and --config are never a plain transfer.
function rsync (args: string[]): SessionKindInfo | undefined {
  if (args[0] !== '--server') return undefined
  if (args.some((a) => a === '--daemon' || a.startsWith('--config'))) return undefined
  const dot = args.indexOf('.')
  if (dot < 0) return undefined
  const direction = args.slice(0, dot).includes('--sender') ? 'download' : 'upload'
  return { kind: 'rsync', transfer: { direction, paths: args.slice(dot + 1) } }
}

// The command's words when it holds only plain and single-quoted words separated by
// spaces; undefined when a shell would see anything more (expansions, operators,
// redirections, escapes, double quotes, newlines).
function plainWords (command: string): string[] | undefined {
  const words: string[] = []
  let i = 0
  while (i < command.length) {
    while (command[i] === ' ') i++
    if (i >= command.length) break
    let word = ''
    while (i < command.length && command[i] !== ' ') {
      const c = command[i]!
      if (c === "'") {
        const end = command.indexOf("'", i + 1)
        if (end < 0) return undefined
        word += command.slice(i + 1, end)
        i = end + 1
      } else if (/[A-Za-z0-9_@%+=:,./-]/.test(c)) {
        word += c
        i++
      } else {
        return undefined
      }
    }
    words.push(word)
  }
  return words
}

// Proving the uid a login shell claims, without SO_PEERCRED (which Node cannot read):
// the broker makes a one-time socket that only that uid (and root) may connect to, and
// the kernel does the checking. See docs/shell/protocol.md, "Proving the uid".
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { ShellError } from '../errors.ts'
import { ownedSocket } from '../protocol/owned-socket.ts'

export interface ProofDirs {
  // Root-only (0700): where the socket is made before it is handed over.
  privateDir: string
  // Root-owned, 0711: where the client finds it (traversable, not listable).
  authDir: string
}

export interface Proof {
  // Where the client must connect: tell it with a P frame.
  path: string
  // The client's connection on that socket (the proven channel), or undefined when no
  // connection came in time.
  connection: Promise<Socket | undefined>
  // Gives up (the client went away): the socket is removed.
  cancel (): Promise<void>
}

export async function startProof (uid: number, dirs: ProofDirs, timeoutMs: number): Promise<Proof> {
  if (!Number.isSafeInteger(uid) || uid <= 0 || uid > 0xfffffffe) {
    throw new ShellError('BASTION_SHELL_IDENTITY', `the login shell claimed uid ${String(uid)}, which cannot log in`)
  }
  const path = join(dirs.authDir, `${randomBytes(16).toString('hex')}.sock`)
  const socket = await ownedSocket(dirs.privateDir, path, uid, 0)
  return { path, connection: socket.accepted(timeoutMs), cancel: socket.close }
}

// The personal container's name: readable, valid for Docker whatever the username
// (`John.Smith`, `a@corp`, 64 characters), and unique per user thanks to a hash of the
// exact name, so two names that sanitize alike never share a container.
import { createHash } from 'node:crypto'

const MAX_READABLE = 40

export function containerName (user: string): string {
  const readable = user.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, MAX_READABLE).replace(/[^a-z0-9]+$/, '')
  const hash = createHash('sha256').update(user).digest('hex').slice(0, 10)
  return readable === '' ? `shell-${hash}` : `shell-${readable}-${hash}`
}

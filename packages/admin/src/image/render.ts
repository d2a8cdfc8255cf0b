// What `bastion image status` and `build` print: sizes, and the status table with the
// configured image, one row per user container and who is on an old image.
import type { ImageStatus } from './status.ts'

export function megabytes (bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`
}

export function renderStatus (s: ImageStatus): string {
  const img = s.configured.image
  const lines = [`configured image: ${s.configured.ref} ${img === undefined ? '(NOT in Docker on this host)' : `(${img.id.slice(0, 19)}, ${megabytes(img.size)})`}`]
  if (s.containers.length === 0) return `${lines[0]}\nno user containers\n`
  const rows = s.containers.map((c) => [c.user, c.name, c.state, String(c.liveSessions), c.current ? 'current' : 'OLD', `${c.imageId.slice(0, 19)}${c.imageNames.length > 0 ? ` ${c.imageNames.join(',')}` : ''}`])
  const head = ['USER', 'CONTAINER', 'STATE', 'SESSIONS', 'IMAGE', 'IMAGE ID']
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  for (const r of [head, ...rows]) lines.push(r.map((v, i) => i === r.length - 1 ? v : v.padEnd(width[i] ?? 0)).join('  ').trimEnd())
  const n = s.outdatedUsers.length
  lines.push(n === 0
    ? 'every user runs the configured image'
    : `${n} user${n === 1 ? '' : 's'} on an old image (${s.outdatedUsers.join(', ')}): recreated at the next login with no live session`)
  return `${lines.join('\n')}\n`
}

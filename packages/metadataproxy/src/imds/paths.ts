// Turns a raw request target into the one canonical path we route on, or null. Nothing
// is ever forwarded in the form the client wrote it: passthrough rebuilds the upstream
// URL from these segments, so no slash, encoding or dot trick reaches the host IMDS.

export interface CanonicalPath {
  // The metadata version the client named: "latest" or a dated one like 2016-09-02.
  version: string
  // Segments below the version, decoded, e.g. ["meta-data", "iam", "info"].
  segments: string[]
  // Whether the client wrote a trailing slash (IMDS lists a directory then).
  trailingSlash: boolean
  // The segments joined with "/", e.g. "meta-data/iam/info".
  joined: string
}

const VERSION = /^(latest|[0-9]{4}-[0-9]{2}-[0-9]{2})$/
const SAFE_SEGMENT = /^[A-Za-z0-9_.@+=,-]+$/

export function canonicalize (rawUrl: string): CanonicalPath | null {
  if (rawUrl.length > 2048 || !rawUrl.startsWith('/')) return null
  const queryAt = rawUrl.search(/[?#]/)
  const path = queryAt >= 0 ? rawUrl.slice(0, queryAt) : rawUrl
  const parts = path.split('/').slice(1)
  const trailingSlash = parts.length > 1 && parts[parts.length - 1] === ''
  const segments: string[] = []
  for (const raw of parts) {
    if (raw === '') continue // collapse duplicate slashes, as IMDS does
    let seg: string
    try {
      seg = decodeURIComponent(raw)
    } catch {
      return null
    }
    // Anything that could change meaning after a second decoding, or walk the tree,
    // is refused outright rather than interpreted.
    if (!SAFE_SEGMENT.test(seg) || seg === '.' || seg === '..' || seg.includes('%')) return null
    segments.push(seg)
  }
  const version = segments.shift()
  if (version === undefined || !VERSION.test(version)) return null
  return { version, segments, trailingSlash, joined: segments.join('/') }
}

// The per-user role's trust policy: the bastion's instance role (or whichever principals
// are configured) may assume the role of `user` only as that person: the session name
// and the source identity must both be the username (the metadata proxy sets both), so
// no other process holding the instance role can become someone else, and CloudTrail
// and Kubernetes name the same human. No TagSession: the proxy passes no tags.
// Compared by meaning, not by bytes, because IAM returns it URL-encoded and may reorder
// it. moto does not evaluate trust policies: the tests check this document exactly.

export const TRUST_ACTIONS = ['sts:AssumeRole', 'sts:SetSourceIdentity'] as const

export function trustPolicy (principals: readonly string[], user: string): string {
  const sorted = [...principals].sort()
  const Principal = { AWS: sorted.length === 1 ? sorted[0] : sorted }
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AssumeAsThisUserOnly', Effect: 'Allow', Principal, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:SourceIdentity': user, 'sts:RoleSessionName': user } } },
      { Sid: 'SourceIdentityIsThisUser', Effect: 'Allow', Principal, Action: 'sts:SetSourceIdentity', Condition: { StringEquals: { 'sts:SourceIdentity': user } } }
    ]
  })
}

// True when the document IAM returned says the same as trustPolicy(principals, user).
export function sameTrust (returned: string, principals: readonly string[], user: string): boolean {
  const doc = parse(returned)
  if (doc === undefined) return false
  return JSON.stringify(normalise(doc)) === JSON.stringify(normalise(JSON.parse(trustPolicy(principals, user))))
}

function parse (text: string): unknown {
  for (const candidate of [text, safeDecode(text)]) {
    try { return JSON.parse(candidate) } catch { /* try the next form */ }
  }
  return undefined
}

function safeDecode (text: string): string {
  try { return decodeURIComponent(text) } catch { return text }
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v])
const sorted = (v: unknown): string[] => list(v).map(String).sort()

// Keys sorted at every level, and single values as one-element lists, so that IAM's
// reordering and its choice between "x" and ["x"] do not count as drift.
function canonical (v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(canonical)
  const o = v as Record<string, unknown>
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, typeof o[k] === 'object' && o[k] !== null && !Array.isArray(o[k]) ? canonical(o[k]) : sorted(o[k])]))
}

function normalise (doc: unknown): unknown {
  const d = doc as { Version?: unknown, Statement?: unknown }
  return {
    Version: d.Version,
    Statement: list(d.Statement).map((s) => {
      const st = s as Record<string, unknown>
      const principal = st.Principal as Record<string, unknown> | undefined
      return {
        Sid: st.Sid,
        Effect: st.Effect,
        Principal: principal === undefined || typeof principal !== 'object' ? principal : canonical(principal),
        Action: sorted(st.Action),
        NotAction: st.NotAction,
        Condition: st.Condition === undefined ? undefined : canonical(st.Condition),
        NotPrincipal: st.NotPrincipal
      }
    }).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)
  }
}

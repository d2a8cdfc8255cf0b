// The per-user role's trust policy: the bastion's instance role (or whichever principals
// are configured) may assume it, set the source identity (the metadata proxy passes
// the username) and tag the session. Compared by meaning, not by bytes, because IAM
// returns it URL-encoded and may reorder it.

export const TRUST_ACTIONS = ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'] as const

export function trustPolicy (principals: readonly string[]): string {
  const aws = [...principals].sort()
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: aws.length === 1 ? aws[0] : aws }, Action: [...TRUST_ACTIONS] }]
  })
}

// True when the document IAM returned says the same as trustPolicy(principals).
export function sameTrust (returned: string, principals: readonly string[]): boolean {
  const doc = parse(returned)
  if (doc === undefined) return false
  return JSON.stringify(normalise(doc)) === JSON.stringify(normalise(JSON.parse(trustPolicy(principals))))
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

function normalise (doc: unknown): unknown {
  const d = doc as { Version?: unknown, Statement?: unknown }
  return {
    Version: d.Version,
    Statement: list(d.Statement).map((s) => {
      const st = s as Record<string, unknown>
      const principal = st.Principal as Record<string, unknown> | undefined
      return {
        Effect: st.Effect,
        Principal: principal === undefined || typeof principal !== 'object' ? principal : Object.fromEntries(Object.keys(principal).sort().map((k) => [k, sorted(principal[k])])),
        Action: sorted(st.Action),
        NotAction: st.NotAction,
        Condition: st.Condition,
        NotPrincipal: st.NotPrincipal
      }
    })
  }
}

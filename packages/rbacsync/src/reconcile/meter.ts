// Counts the API calls a run makes, split into reads and writes, per API. A converged
// run must show zero writes; the benchmark prints these counts.

export type CallKind = 'read' | 'write'

export interface CallCount {
  api: string
  kind: CallKind
  calls: number
}

export interface Meter {
  count (api: string, kind: CallKind): void
  snapshot (): CallCount[]
  total (kind: CallKind): number
}

export function createMeter (): Meter {
  const counts = new Map<string, CallCount>()
  return {
    count (api, kind) {
      const key = `${kind} ${api}`
      const c = counts.get(key)
      if (c === undefined) counts.set(key, { api, kind, calls: 1 })
      else c.calls++
    },
    snapshot () {
      return [...counts.values()].map((c) => ({ ...c })).sort((a, b) => a.kind === b.kind ? a.api.localeCompare(b.api) : a.kind === 'read' ? -1 : 1)
    },
    total (kind) {
      let n = 0
      for (const c of counts.values()) if (c.kind === kind) n += c.calls
      return n
    }
  }
}

// AWS operations that only read: everything named Get*, List* or Describe*.
export function awsCallKind (operation: string): CallKind {
  return /^(Get|List|Describe)/.test(operation) ? 'read' : 'write'
}

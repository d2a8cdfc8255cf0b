// What one local account may hold of the broker: connections not yet proven, in all and
// per claimed uid, and live sessions per proven uid. broker.sock is open to every local
// user, so none of these may grow without bound, and none may be held by one user
// against another: past a limit on unproven connections the OLDEST is closed, never the
// newcomer. A real login proves itself within milliseconds of connecting, so idle
// connections, whoever holds them, are the ones that go; a flood blocks no one.
//
// Before the proof, the uid a connection claims is all there is to count by (Node cannot
// read SO_PEERCRED). A claim in someone else's name is counted against that name, but
// it only ever pushes out older unproven claims, never a login that has proven itself.

export interface GateLimits {
  maxUnauthenticated: number
  maxUnauthenticatedPerUser: number
  maxSessionsPerUser: number
}

// One connection while it is unproven.
export interface Pending {
  // The uid it claims in its hello.
  claimed (uid: number): void
  // It was proven, refused or went away: it no longer counts.
  settled (): void
}

export interface Gate {
  // A new connection; `evict` closes it (with the user's message) if it must make room.
  admit (evict: () => void): Pending
  // A proven login of uid starting its session: a release for when it ends, or
  // undefined when that user is at maxSessionsPerUser.
  session (uid: number): (() => void) | undefined
  limits (next: GateLimits): void
  stats (): { unauthenticated: number, sessions: number }
}

interface Entry { evict: () => void, uid: number | undefined, live: boolean }

export function createGate (initial: GateLimits): Gate {
  let limits = initial
  // Insertion order is age: the first entry is the oldest.
  const pending = new Set<Entry>()
  const claims = new Map<number, Set<Entry>>()
  const sessions = new Map<number, number>()

  const drop = (e: Entry): void => {
    if (!e.live) return
    e.live = false
    pending.delete(e)
    if (e.uid !== undefined) {
      const mine = claims.get(e.uid)
      mine?.delete(e)
      if (mine?.size === 0) claims.delete(e.uid)
    }
  }
  const evictOldest = (of: Set<Entry>): void => {
    const oldest = of.values().next().value as Entry
    drop(oldest)
    oldest.evict()
  }

  return {
    admit (evict) {
      while (pending.size >= limits.maxUnauthenticated) evictOldest(pending)
      const e: Entry = { evict, uid: undefined, live: true }
      pending.add(e)
      return {
        claimed (uid) {
          if (!e.live || e.uid !== undefined) return
          e.uid = uid
          // Looked up again after each eviction, which removes an emptied set.
          const mine = (): Set<Entry> => {
            const found = claims.get(uid)
            if (found !== undefined) return found
            const made = new Set<Entry>()
            claims.set(uid, made)
            return made
          }
          while (mine().size >= limits.maxUnauthenticatedPerUser) evictOldest(mine())
          mine().add(e)
        },
        settled: () => drop(e)
      }
    },
    session (uid) {
      const live = sessions.get(uid) ?? 0
      if (live >= limits.maxSessionsPerUser) return undefined
      sessions.set(uid, live + 1)
      let released = false
      return () => {
        if (released) return
        released = true
        const left = (sessions.get(uid) ?? 1) - 1
        if (left === 0) sessions.delete(uid)
        else sessions.set(uid, left)
      }
    },
    limits (next) { limits = next },
    stats: () => ({ unauthenticated: pending.size, sessions: [...sessions.values()].reduce((a, b) => a + b, 0) })
  }
}

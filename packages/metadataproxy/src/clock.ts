// The clock, behind an interface so that unit tests can move time by hand.

// An opaque handle from setTimeout.
export type Timer = object

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): Timer
  clearTimeout(timer: Timer): void
}

export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, ms)
      t.unref()
      return t
    },
    clearTimeout: (timer) => { clearTimeout(timer as ReturnType<typeof setTimeout>) }
  }
}

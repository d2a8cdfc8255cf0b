// The progress line `bastion audit` draws on stderr while it fetches CloudWatch pages, so
// that a long read does not look hung. Only on a terminal: piped or redirected, stderr
// gets warnings and nothing else.
import type { PageProgress } from './log-group.ts'

export interface ProgressLine extends PageProgress {
  done (): void
}

export function progressLine (stream: { isTTY?: boolean, write (s: string): unknown }): ProgressLine {
  if (stream.isTTY !== true) return { page: () => {}, done: () => {} }
  let drawn = false
  return {
    page: (what, pages, events) => {
      drawn = true
      stream.write(`\r\x1b[2Kbastion audit: reading ${what} from CloudWatch Logs: page ${pages}, ${events} event${events === 1 ? '' : 's'}`)
    },
    done: () => {
      if (drawn) stream.write('\r\x1b[2K')
      drawn = false
    }
  }
}

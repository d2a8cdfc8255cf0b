// asciicast v2 recordings of sessions (playable with `asciinema play`): a header line,
// then one [seconds, "o", text] line per output chunk, [seconds, "r", "WxH"] per resize
// and, without a TTY, [seconds, "i", text] per input chunk. With a TTY, input is never
// recorded: it carries passwords, and the terminal echoes what the user types. Without
// one, nothing echoes, and the input is the program the shell runs (docs/shell/README.md,
// "Recordings").
//
// A recording stops at its cap (shell.audit.maxSessionRecordingKb, or what is left of
// the user's shell.audit.maxUserRecordingsKb): it ends with a marker and a line that
// say so, the session goes on, and the caller logs it.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { StringDecoder } from 'node:string_decoder'

export interface Recorder {
  output (chunk: Buffer): void
  input (chunk: Buffer): void
  resize (cols: number, rows: number): void
  // Resolves once everything is on disk, with what was recorded.
  close (): Promise<RecordingSummary>
}

export interface RecordingSummary {
  bytes: number
  cut: boolean
}

export interface RecordingCap {
  // The most bytes the file may take, header included.
  maxBytes: number
  // Whose cap it is, for the line that says why the recording stops.
  scope: 'session' | 'user'
  // Called once, when the recording stops at the cap.
  onCut: (detail: { bytes: number, maxBytes: number, scope: 'session' | 'user' }) => void
}

// Room kept under the cap for the lines that say the recording was cut.
const CUT_RESERVE = 512

export function startRecording (path: string, header: { cols: number, rows: number, term: string, title: string, startMs: number }, onError: (err: Error) => void = () => {}, cap?: RecordingCap): Recorder {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const file: WriteStream = createWriteStream(path, { flags: 'wx', mode: 0o600 })
  // A recording that cannot be written (disk full, a name clash) must never end the
  // session: report it and stop recording.
  let failed = false
  let cut = false
  let bytes = 0
  file.on('error', (err) => { failed = true; onError(err) })
  const outDecoder = new StringDecoder('utf8')
  const inDecoder = new StringDecoder('utf8')
  const t0 = header.startMs
  const at = (): number => Math.round((Date.now() - t0) / 1000 * 1e6) / 1e6
  // Each line is encoded once, and its bytes are what is counted and written.
  const put = (line: string | Buffer): void => {
    const data = typeof line === 'string' ? Buffer.from(line) : line
    bytes += data.length
    file.write(data)
  }
  const stop = (): void => {
    cut = true
    const max = cap?.maxBytes ?? 0
    const whose = cap?.scope === 'user' ? 'the user\'s recordings reached their cap' : 'this session\'s recording reached its cap'
    const note = `bastion: recording cut at ${bytes} bytes: ${whose} (${max} bytes); the session went on unrecorded`
    put(JSON.stringify([at(), 'm', note]) + '\n')
    put(JSON.stringify([at(), 'o', `\r\n[${note}]\r\n`]) + '\n')
    cap?.onCut({ bytes, maxBytes: max, scope: cap.scope })
  }
  // Writes one event, unless the recording has stopped, or stops it at the cap. Text
  // that does not fit whole is kept up to the cap (one big first chunk must not leave
  // a recording without the start of its session).
  const event = (kind: string, data: string): void => {
    if (failed || cut) return
    const time = at()
    const line = Buffer.from(JSON.stringify([time, kind, data]) + '\n')
    if (cap === undefined || bytes + line.length <= cap.maxBytes - CUT_RESERVE) { put(line); return }
    if (kind !== 'r') {
      const head = fittingPrefix(data, (d) => JSON.stringify([time, kind, d]) + '\n', cap.maxBytes - CUT_RESERVE - bytes)
      if (head !== '') put(JSON.stringify([time, kind, head]) + '\n')
    }
    stop()
  }
  put(JSON.stringify({
    version: 2,
    width: header.cols,
    height: header.rows,
    timestamp: Math.floor(t0 / 1000),
    title: header.title,
    env: { TERM: header.term, SHELL: '/bin/bash' }
  }) + '\n')
  if (cap !== undefined && bytes > cap.maxBytes - CUT_RESERVE) stop()
  return {
    // Once the recording has stopped, output costs nothing more: bulk output past the
    // cap is not even decoded.
    output (chunk) {
      if (failed || cut) return
      const text = outDecoder.write(chunk)
      if (text !== '') event('o', text)
    },
    input (chunk) {
      if (failed || cut) return
      const text = inDecoder.write(chunk)
      if (text !== '') event('i', text)
    },
    resize (cols, rows) {
      event('r', `${cols}x${rows}`)
    },
    close () {
      const summary = (): RecordingSummary => ({ bytes, cut })
      if (failed) return Promise.resolve(summary())
      const rest = outDecoder.end()
      if (rest !== '') event('o', rest)
      const restIn = inDecoder.end()
      if (restIn !== '') event('i', restIn)
      return new Promise((resolve) => file.end(() => resolve(summary())))
    }
  }
}

// The longest start of text whose line fits in room bytes, cut between characters
// (never between the halves of a surrogate pair). The line grows with every character,
// so a binary search over the characters finds it.
export function fittingPrefix (text: string, lineOf: (data: string) => string, room: number): string {
  const ends: number[] = [0]
  for (const ch of text) ends.push((ends.at(-1) as number) + ch.length)
  let lo = 0
  let hi = ends.length - 1
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (Buffer.byteLength(lineOf(text.slice(0, ends[mid]))) <= room) lo = mid
    else hi = mid - 1
  }
  return text.slice(0, ends[lo])
}

// asciicast v2 recordings of TTY sessions (playable with `asciinema play`): a header
// line, then one [seconds, "o", text] line per output chunk and [seconds, "r", "WxH"] per
// resize. Input is never recorded: it carries passwords.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { StringDecoder } from 'node:string_decoder'

export interface Recorder {
  output (chunk: Buffer): void
  resize (cols: number, rows: number): void
  close (): Promise<void>
}

export function startRecording (path: string, header: { cols: number, rows: number, term: string, title: string, startMs: number }, onError: (err: Error) => void = () => {}): Recorder {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const file: WriteStream = createWriteStream(path, { flags: 'wx', mode: 0o600 })
  // A recording that cannot be written (disk full, a name clash) must never end the
  // session: report it and stop recording.
  let failed = false
  file.on('error', (err) => { failed = true; onError(err) })
  const decoder = new StringDecoder('utf8')
  const t0 = header.startMs
  const at = (): number => Math.round((Date.now() - t0) / 1000 * 1e6) / 1e6
  file.write(JSON.stringify({
    version: 2,
    width: header.cols,
    height: header.rows,
    timestamp: Math.floor(t0 / 1000),
    title: header.title,
    env: { TERM: header.term, SHELL: '/bin/bash' }
  }) + '\n')
  return {
    output (chunk) {
      if (failed) return
      const text = decoder.write(chunk)
      if (text !== '') file.write(JSON.stringify([at(), 'o', text]) + '\n')
    },
    resize (cols, rows) {
      if (failed) return
      file.write(JSON.stringify([at(), 'r', `${cols}x${rows}`]) + '\n')
    },
    close () {
      if (failed) return Promise.resolve()
      const rest = decoder.end()
      if (rest !== '') file.write(JSON.stringify([at(), 'o', rest]) + '\n')
      return new Promise((resolve) => file.end(() => resolve()))
    }
  }
}

// Where a recording goes in S3: <prefix><host>/<user>/<file>. bastion ship uploads it
// there and bastion audit derives the same key to link a recording whose local copy is
// gone. Every part is checked, so no name from the recordings directory can climb out
// of the prefix (no "..", no "/", no leading dot) or carry characters S3 keys handle badly.
const PART = /^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]{0,254}$/
// The files the recorder writes: <ISO time with - for : and .>-<session id>.cast.
const RECORDING = /^[A-Za-z0-9][A-Za-z0-9._-]{0,250}\.cast$/
const SESSION = /-([0-9a-f]{12})\.cast$/

export const validPart = (s: string): boolean => PART.test(s) && !s.includes('..')
export const isRecordingName = (file: string): boolean => RECORDING.test(file) && validPart(file)
export const sessionOfRecording = (file: string): string | null => SESSION.exec(file)?.[1] ?? null

// The prefix as configured: "" or a key start without a leading "/" and without "."
// or ".." segments; it need not end in "/".
export function validPrefix (prefix: string): boolean {
  if (prefix === '') return true
  if (prefix.startsWith('/') || prefix.length > 512 || /[\p{Cc}\\]/u.test(prefix)) return false
  return prefix.split('/').every((seg, i, all) => seg !== '.' && seg !== '..' && (seg !== '' || i === all.length - 1))
}

// The key of version `version` of a recording: 1 is the recording as first uploaded;
// a later one (the file changed after its upload) is <stem>.v<version>.cast beside it,
// so the first upload is never overwritten.
export function recordingKey (prefix: string, host: string, user: string, file: string, version = 1): string {
  if (!validPrefix(prefix)) throw new Error(`invalid S3 key prefix ${JSON.stringify(prefix)}`)
  if (!validPart(host)) throw new Error(`invalid host name for an S3 key: ${JSON.stringify(host)}`)
  if (!validPart(user)) throw new Error(`invalid user name for an S3 key: ${JSON.stringify(user)}`)
  if (!isRecordingName(file)) throw new Error(`not a recording's file name: ${JSON.stringify(file)}`)
  const name = version === 1 ? file : `${file.slice(0, -'.cast'.length)}.v${version}.cast`
  return `${prefix}${host}/${user}/${name}`
}

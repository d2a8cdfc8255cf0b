// Where recordings are put: our narrow interface, and its S3 adapter. S3 checks the
// bytes: a small recording goes in one PutObject carrying our SHA-256 of the file
// (ChecksumSHA256, so S3 refuses the object unless it got exactly those bytes); a large
// one goes up in parts (lib-storage), each part with its SHA-256, which S3 checks as it
// stores the part.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import type { OpenRecording } from './recording-files.ts'

export interface RecordingStore {
  // "s3://bucket", for the index and the logs.
  readonly url: string
  // Resolves once the store has confirmed every byte under `key`.
  put (key: string, rec: OpenRecording, sha256: string, signal?: AbortSignal): Promise<void>
}

// A failed put; denied: retrying will not help until IAM changes (the message names
// the permission that is missing); code: S3's name for the error, when it gave one.
export class StoreError extends Error {
  readonly denied: boolean
  readonly code: string | undefined
  constructor (message: string, denied: boolean, cause: unknown) {
    super(message, { cause })
    this.name = 'StoreError'
    this.denied = denied
    const name = (cause as { name?: unknown } | undefined)?.name
    this.code = typeof name === 'string' ? name : undefined
  }
}

// Above this, multipart: a part is held in memory at a time per queue slot.
export const MULTIPART_BYTES = 8 * 1024 * 1024

export function s3RecordingStore (s3: S3Client, bucket: string, opts: { prefix?: string, multipartBytes?: number, partBytes?: number } = {}): RecordingStore {
  const multipart = opts.multipartBytes ?? MULTIPART_BYTES
  const partSize = Math.max(5 * 1024 * 1024, opts.partBytes ?? MULTIPART_BYTES)
  return {
    url: `s3://${bucket}`,
    async put (key, rec, sha256, signal) {
      try {
        if (rec.size <= multipart) {
          await s3.send(new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: await rec.bytes(),
            ContentType: 'application/x-asciicast',
            ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64')
          }), signal === undefined ? {} : { abortSignal: signal })
          return
        }
        const upload = new Upload({
          client: s3,
          params: { Bucket: bucket, Key: key, Body: rec.stream() as never, ContentType: 'application/x-asciicast', ChecksumAlgorithm: 'SHA256' },
          partSize,
          queueSize: 2,
          leavePartsOnError: false
        })
        const abort = (): void => { void upload.abort() }
        signal?.addEventListener('abort', abort, { once: true })
        try {
          await upload.done()
        } finally {
          signal?.removeEventListener('abort', abort)
        }
      } catch (err) {
        throw storeError(err, bucket, opts.prefix ?? '', key)
      }
    }
  }
}

// S3's names for a refusal of this host's role (the status's AccessDenied).
export const ACCESS_DENIED: ReadonlySet<string> = new Set(['AccessDenied', 'AllAccessDisabled'])
const DENIED = new Set([...ACCESS_DENIED, 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'NoSuchBucket', 'AccountProblem'])

function storeError (err: unknown, bucket: string, prefix: string, key: string): StoreError {
  const name = (err as { name?: string }).name ?? 'Error'
  const message = (err as Error).message
  if (ACCESS_DENIED.has(name)) {
    return new StoreError(`S3 refused ${key} (${name}): the host's role needs s3:PutObject on arn:aws:s3:::${bucket}/${prefix}* (${message})`, true, err)
  }
  if (name === 'NoSuchBucket') return new StoreError(`S3 bucket ${bucket} does not exist (ship.recordings.bucket)`, true, err)
  return new StoreError(`S3 did not take ${key}: ${name}: ${message}`, DENIED.has(name), err)
}

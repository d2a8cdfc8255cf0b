// A bearer token for an EKS cluster, as `aws eks get-token` and aws-iam-authenticator
// make it: a presigned STS GetCallerIdentity URL whose signature covers the cluster
// name (header x-k8s-aws-id), base64url-encoded behind "k8s-aws-v1.". The API server's
// authenticator replays the URL against STS to learn who signed it.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import { SignatureV4 } from '@smithy/signature-v4'

export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

export interface TokenOptions {
  region: string
  // aws-cn signs against sts.<region>.amazonaws.com.cn.
  partition?: string
  credentials: () => Promise<AwsCredentials>
  // An STS endpoint other than the regional one (an emulator in tests).
  stsEndpoint?: string
  now?: Date
}

export const TOKEN_PREFIX = 'k8s-aws-v1.'
// EKS accepts tokens for 15 minutes; the presigned URL itself asks for 60 s, as the CLI does.
export const TOKEN_LIFETIME_MS = 14 * 60 * 1000

export async function eksToken (cluster: string, options: TokenOptions): Promise<string> {
  const suffix = options.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'
  const endpoint = new URL(options.stsEndpoint ?? `https://sts.${options.region}.${suffix}`)
  const signer = new SignatureV4({ service: 'sts', region: options.region, credentials: options.credentials, sha256: Sha256, uriEscapePath: true })
  const signed = await signer.presign({
    method: 'GET',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port !== '' ? { port: Number(endpoint.port) } : {}),
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: endpoint.host, 'x-k8s-aws-id': cluster }
  }, { expiresIn: 60, ...(options.now !== undefined ? { signingDate: options.now } : {}) })
  const query = new URLSearchParams()
  for (const [k, v] of Object.entries(signed.query ?? {})) {
    for (const value of Array.isArray(v) ? v : [v]) if (value !== null && value !== undefined) query.append(k, value)
  }
  const url = `${endpoint.protocol}//${endpoint.host}/?${query.toString()}`
  return TOKEN_PREFIX + Buffer.from(url).toString('base64url')
}

// The hash SignatureV4 wants: a SHA-256, or an HMAC-SHA-256 when given a key.
class Sha256 {
  private readonly h: Hash | Hmac
  constructor (secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret))
  }

  update (data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBuffer(data))
  }

  async digest (): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest())
  }
}

function toBuffer (data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return Buffer.from(data)
}

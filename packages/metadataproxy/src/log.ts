// The process logger: pino JSON with every credential-shaped field redacted. The IMDS
// code never logs a secret on purpose; redaction is the second line of defence.
import pino, { type Logger, type DestinationStream } from 'pino'

export const REDACT = [
  'req.headers["x-aws-ec2-metadata-token"]',
  'headers["x-aws-ec2-metadata-token"]',
  'token', '*.token', 'Token', '*.Token',
  'secretAccessKey', '*.secretAccessKey', 'SecretAccessKey', '*.SecretAccessKey',
  'sessionToken', '*.sessionToken', 'SessionToken', '*.SessionToken',
  'credentials', '*.credentials'
]

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { component: 'metadataproxy' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination)
}

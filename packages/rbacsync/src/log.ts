// The process logger: pino JSON on stderr, written synchronously (a Lambda invocation
// may be frozen right after it returns), credentials and tokens redacted (the EKS
// path's kubeconfig carries a bearer token; nothing here logs it on purpose).
import pino, { type Logger, type DestinationStream } from 'pino'

export const REDACT = ['token', '*.token', 'credentials', '*.credentials', 'secretAccessKey', '*.secretAccessKey', 'sessionToken', '*.sessionToken', 'headers.authorization', '*.headers.authorization']

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { component: 'rbacsync' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination ?? pino.destination({ dest: 2, sync: true }))
}

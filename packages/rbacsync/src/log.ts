// The process logger: pino JSON, credentials and tokens redacted (the kubeconfig of
// the EKS path carries a bearer token; nothing here logs it on purpose).
import pino, { type Logger, type DestinationStream } from 'pino'

export const REDACT = ['token', '*.token', 'credentials', '*.credentials', 'secretAccessKey', '*.secretAccessKey', 'sessionToken', '*.sessionToken', 'headers.authorization', '*.headers.authorization']

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { component: 'rbacsync' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination ?? pino.destination(2))
}

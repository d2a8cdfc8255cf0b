// The credential-issuance audit trail: one line each time a container receives an
// access key it had not received before, naming the human. Never the secret: only the
// last four characters of the access key id.
import type { Logger } from 'pino'
import type { ManagedContainer } from '../identity/container-index.ts'
import type { Credentials } from '../sts/sts-client.ts'
import { imdsTime } from './responses.ts'

export interface AuditLog {
  issued (container: ManagedContainer, roleArn: string, creds: Credentials): void
}

const REMEMBERED = 10_000

export function auditLog (log: Logger): AuditLog {
  // container id -> last access key id it got, so refetches of one key are not repeated.
  const lastKey = new Map<string, string>()
  return {
    issued (container, roleArn, creds) {
      if (lastKey.get(container.id) === creds.accessKeyId) return
      lastKey.delete(container.id)
      lastKey.set(container.id, creds.accessKeyId)
      if (lastKey.size > REMEMBERED) lastKey.delete(lastKey.keys().next().value as string)
      log.info({
        audit: 'credential-issued',
        user: container.user,
        container: container.name,
        containerId: container.id.slice(0, 12),
        ip: container.ip,
        role: roleArn,
        accessKeyIdSuffix: creds.accessKeyId.slice(-4),
        expiration: imdsTime(creds.expiration)
      }, 'credentials issued')
    }
  }
}

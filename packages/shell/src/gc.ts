// `bastion-shell gc` (root, from a systemd timer): removes personal containers with no
// live session and no session for `shell.gcIdleSeconds`. Homes stay on the host.
import { stat } from 'node:fs/promises'
import type { Engine } from './docker/engine.ts'
import type { Logger } from 'pino'
import type { ShellConfig } from './config/schema.ts'
import { LABEL_USER, onNetwork } from './container/spec.ts'
import { liveSessions, lockContainer } from './container/manager.ts'
import { activityFile } from './container/activity.ts'

export { touchActivity } from './container/activity.ts'

export async function gc (docker: Engine, config: Readonly<ShellConfig>, log: Logger, nowMs = Date.now()): Promise<{ removed: string[], kept: string[] }> {
  const removed: string[] = []
  const kept: string[] = []
  const list = await docker.listContainers({ all: true, filters: { label: [LABEL_USER] } })
  // This instance's containers only (container/spec.ts).
  for (const c of list.filter((x) => onNetwork(x, config))) {
    const name = (c.Names[0] ?? c.Id).replace(/^\//, '')
    // The user's lock: a login preparing this container at the same moment wins.
    const release = await lockContainer(config, name)
    try {
      const info = await docker.getContainer(c.Id).inspect()
      const last = await stat(activityFile(config, name)).then((s) => s.mtimeMs, () => Date.parse(info.State.StartedAt))
      const idleMs = nowMs - (Number.isFinite(last) ? last : 0)
      if (await liveSessions(docker, config, info, name) > 0 || idleMs < config.shell.gcIdleSeconds * 1000) {
        kept.push(name)
        continue
      }
      await docker.getContainer(c.Id).remove({ force: true })
      log.info({ container: name, idleSeconds: Math.round(idleMs / 1000) }, 'gc removed an idle container')
      removed.push(name)
    } catch (err) {
      // One container that cannot be inspected or removed must not stop the others.
      log.error({ err, container: name }, 'gc could not handle a container')
      kept.push(name)
    } finally {
      await release()
    }
  }
  return { removed, kept }
}

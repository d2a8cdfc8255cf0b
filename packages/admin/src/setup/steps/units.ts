// Step `units`: the suite's systemd units (the IMDS firewall, the metadata proxy, the
// shell's session broker, and its gc service and timer, the users sync service and
// timer, and the log shipper) in /etc/systemd/system. The
// shipped units name the default locations (/opt/bastion/app, /opt/bastion/node/bin/node,
// /etc/bastion/bastion.yaml); when the suite, Node or the config live elsewhere, the
// installed copies name those instead. Enabling and starting the services, and
// restarting them after a build, a config or a unit changed, is Chef's job (its `service`
// resources and their notifications); setup only reloads systemd when a unit changed and
// systemd runs.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runOk } from '../exec.ts'
import { diffFile, putFile, type WantedFile } from '../files.ts'
import { setupError } from '../errors.ts'
import type { SetupContext, Step } from '../context.ts'

export const UNIT_SOURCES = ['packages/metadataproxy/systemd', 'packages/shell/systemd', 'packages/admin/systemd']
const SHIPPED = { app: '/opt/bastion/app', node: '/opt/bastion/node/bin/node', config: '/etc/bastion/bastion.yaml' }
const SHIPPED_PATTERN = new RegExp(Object.values(SHIPPED).map((p) => p.replaceAll('.', '\\.')).join('|'), 'g')

export async function wantedUnits (ctx: SetupContext): Promise<WantedFile[]> {
  const units: WantedFile[] = []
  for (const rel of UNIT_SOURCES) {
    const dir = join(ctx.paths.app, rel)
    let names: string[]
    try {
      names = (await readdir(dir)).filter((n) => /\.(service|timer)$/.test(n)).sort()
    } catch (err) {
      throw setupError('BASTION_ADMIN_SETUP_APP_INCOMPLETE', `cannot read the suite's systemd units in ${dir}: ${(err as Error).message}`, err)
    }
    for (const name of names) {
      const text = await readFile(join(dir, name), 'utf8')
      units.push({ path: join(ctx.paths.systemdDir, name), content: localize(text, ctx), mode: 0o644 })
    }
  }
  return units
}

// One pass, so that a replacement is never itself rewritten by the next.
function localize (text: string, ctx: SetupContext): string {
  const now: Record<string, string> = { [SHIPPED.node]: ctx.paths.node, [SHIPPED.app]: ctx.paths.app, [SHIPPED.config]: ctx.paths.config }
  return text.replace(SHIPPED_PATTERN, (m) => now[m] ?? m)
}

export const unitsStep: Step = {
  name: 'units',
  summary: "systemd units of the IMDS firewall, the metadata proxy, the shell's session broker and its gc, bastion users sync and bastion ship",
  async plan (ctx) {
    const changes: string[] = []
    for (const unit of await wantedUnits(ctx)) {
      const change = await diffFile(unit)
      if (change !== undefined) changes.push(change)
    }
    if (changes.length > 0 && reloads(ctx)) changes.push('reload systemd (systemctl daemon-reload)')
    return changes
  },
  async apply (ctx) {
    const changes: string[] = []
    for (const unit of await wantedUnits(ctx)) {
      const change = await putFile(unit)
      if (change !== undefined) changes.push(change)
    }
    if (changes.length > 0 && reloads(ctx)) {
      await runOk(ctx.exec, 'systemctl', ['daemon-reload'])
      changes.push('reloaded systemd (systemctl daemon-reload)')
    }
    return changes
  }
}

// Only the host's own systemd, and only when it runs (never in a --root or a container).
function reloads (ctx: SetupContext): boolean {
  return ctx.systemd && ctx.paths.root === '/'
}

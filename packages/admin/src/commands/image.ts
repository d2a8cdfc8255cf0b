// `bastion image`: build the toolbox image, roll it out, see who still runs an old one,
// and roll back (docs/admin/image.md).
import { Command, Option } from 'commander'
import { resolve } from 'node:path'
import { configPath } from '@bastion/config'
import { loadToolboxConfig } from '../image/config.ts'
import { dockerImageEngine } from '../image/docker.ts'
import { imageError } from '../image/errors.ts'
import { buildToolbox } from '../image/build.ts'
import { readHistory } from '../image/history.ts'
import { rollbackImage, rolloutImage, type ImageDeps, type RolloutResult } from '../image/rollout.ts'
import { imageStatus } from '../image/status.ts'
import { megabytes, renderStatus } from '../image/render.ts'

// --no-rollout and --no-cache are commander's negations: rollout and cache, true by default.
interface BuildFlags { offline?: boolean, production?: boolean, rollout: boolean, tag: string[], force?: boolean, cache: boolean, context?: string }

const AFTER_ROLLOUT = 'New logins get it now; each existing container is recreated at its user\'s next login with no live session in it.\n' +
  'See who still runs an old image: bastion image status'

async function deps (cmd: Command): Promise<ImageDeps> {
  const path = configPath(cmd.optsWithGlobals<{ config?: string }>().config, process.env)
  const loaded = await loadToolboxConfig(path).catch((err: Error) => {
    throw imageError('BASTION_ADMIN_IMAGE_CONFIG_INVALID', err.message, err)
  })
  const { config } = loaded
  return { loaded, engine: dockerImageEngine(config.shell.dockerSocket, { timeoutMs: config.toolbox.dockerTimeoutMs }), now: () => new Date() }
}

function said (r: RolloutResult): string {
  return r.changed ? `shell.image: ${r.from} -> ${r.to} (${r.id.slice(0, 19)})\n${AFTER_ROLLOUT}\n` : `shell.image is already ${r.to}: no changes\n`
}

export function register (program: Command): void {
  const image = program.command('image').description('build, roll out and roll back the toolbox image of the personal containers')

  image.command('build')
    .description('build the toolbox image, smoke-test it, tag it <repository>:<version> and :sha-<id>, and make it shell.image')
    .addOption(new Option('--offline', 'the offline build: Debian packages and a local k9s binary (a test bed\'s; default when toolbox.flavor says offline)').conflicts('production'))
    .addOption(new Option('--production', 'the production build: pinned upstream releases checked against their sha256 (needs internet; the default)').conflicts('offline'))
    .option('--no-rollout', 'only build and tag; leave shell.image as it is')
    .option('--tag <name:tag>', 'also tag the image with this name (repeat for more)', (v: string, all: string[]) => [...all, v], [])
    .option('--force', 'build even when the image it would replace was built from the same inputs')
    .option('--no-cache', 'build every layer afresh (picks up Debian security updates)')
    .option('--context <dir>', 'the directory with the toolbox Dockerfiles (default: toolbox.context or the suite\'s images/toolbox)')
    .addHelpText('after', '\nA build whose inputs (Dockerfile directory, build arguments, k9s binary) match the\nimage it would replace is skipped and changes nothing; --force builds anyway.\n' + AFTER_ROLLOUT)
    .action(async (flags: BuildFlags, cmd: Command) => {
      const d = await deps(cmd)
      const flavor = flags.offline === true ? 'offline' : flags.production === true ? 'production' : undefined
      const r = await buildToolbox(d, { flavor, rollout: flags.rollout, tags: flags.tag, force: flags.force === true, noCache: !flags.cache, output: process.stderr, context: flags.context === undefined ? undefined : resolve(flags.context) })
      if (!r.built) {
        process.stdout.write(`${r.refs.join(', ')}: already built from these inputs (${r.id.slice(0, 19)}, ${megabytes(r.size)}): no changes\n`)
        return
      }
      process.stdout.write(`built ${r.id.slice(0, 19)} (${megabytes(r.size)}), tagged ${r.refs.join(', ')}\n`)
      if (r.rollout !== undefined) process.stdout.write(said(r.rollout))
    })

  image.command('rollout')
    .description('smoke-test an image that is already in Docker and make it the configured one (shell.image)')
    .argument('<ref>', 'image name:tag or id')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      process.stdout.write(said(await rolloutImage(await deps(cmd), ref)))
    })

  image.command('rollback')
    .description('go back to the image configured before the current one')
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await rollbackImage(await deps(cmd))
      process.stdout.write(said(r))
    })

  image.command('status')
    .description('the configured image, and which users still run an old one')
    .option('--json', 'print it as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const s = await imageStatus(await deps(cmd))
      process.stdout.write(opts.json === true ? `${JSON.stringify(s, null, 2)}\n` : renderStatus(s))
    })

  image.command('history')
    .description('the images that were configured, oldest first')
    .action(async (_opts: unknown, cmd: Command) => {
      const d = await deps(cmd)
      const h = await readHistory(d.loaded.config.toolbox.historyFile)
      if (h.length === 0) process.stdout.write(`no history yet in ${d.loaded.config.toolbox.historyFile}\n`)
      for (const e of h) process.stdout.write(`${e.at}  ${e.how.padEnd(8)}  ${e.id.slice(0, 19)}  ${e.ref}\n`)
    })
}

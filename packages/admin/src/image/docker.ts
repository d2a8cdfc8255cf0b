// What `bastion image` asks of Docker, behind a narrow interface that unit tests fake:
// images (inspect, tag), the users' containers with their live sessions, and builds.
// The API goes over docker-modem (dockerode's HTTP layer, without its gRPC stack); a
// build runs the docker CLI, which streams the build context and shows its progress.
import Modem from 'docker-modem'
import { execa } from 'execa'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LABEL_IMAGE, LABEL_USER } from '@bastion/shell'

export interface ImageInfo {
  id: string
  tags: string[]
  labels: Record<string, string>
  size: number // bytes, as `docker image ls` counts them
  created: string
}

export interface UserContainer {
  id: string
  name: string
  user: string
  imageId: string // the bastion.image-digest label the shell set at creation
  state: string
  liveSessions: number // running execs here; status.ts adds the sessions the broker serves
}

export interface BuildSpec {
  context: string
  dockerfile: string // relative to context
  buildArgs: Record<string, string>
  labels: Record<string, string>
  noCache: boolean
  timeoutMs: number
  output: NodeJS.WritableStream // where the build's progress goes
}

// One command in a throwaway container of the image: no network, no capabilities.
export interface RunSpec {
  image: string
  argv: string[] // argv[0] becomes the entrypoint
  binds: string[] // host:container[:ro]
  timeoutMs: number
}

export interface ImageEngine {
  ping (): Promise<void>
  inspectImage (ref: string): Promise<ImageInfo | undefined>
  tag (id: string, repository: string, tag: string): Promise<void>
  userContainers (): Promise<UserContainer[]>
  build (spec: BuildSpec): Promise<string> // the new image's id
  run (spec: RunSpec): Promise<{ exitCode: number, output: string }>
}

// Refs travel unencoded in the Engine's /images/{name} routes, so only sane ones pass.
export const IMAGE_REF = /^[a-zA-Z0-9][a-zA-Z0-9._/:@-]{0,254}$/

interface RawImage { Id: string, RepoTags?: string[] | null, Config?: { Labels?: Record<string, string> | null }, Size: number, Created: string }
interface RawContainer { Id: string, Names?: string[], Labels?: Record<string, string>, State: string }

export function dockerImageEngine (socketPath: string, opts: { timeoutMs: number, dockerCli?: string }): ImageEngine {
  const modem = new Modem({ socketPath, timeout: opts.timeoutMs })
  const call = <T>(o: Modem.DialOptions): Promise<T> => new Promise<T>((resolve, reject) => {
    modem.dial(o, (err, data) => {
      if (err !== null && err !== undefined) reject(err)
      else resolve(data as T)
    })
  })
  const codes = (ok: number): Record<number, boolean | string> => ({ [ok]: true, 400: 'bad parameter', 404: 'no such object', 409: 'conflict', 500: 'server error' })
  const notFound = (err: unknown): boolean => (err as { statusCode?: number }).statusCode === 404

  return {
    async ping () {
      await call({ path: '/_ping', method: 'GET', statusCodes: codes(200) })
    },
    async inspectImage (ref) {
      if (!IMAGE_REF.test(ref)) throw new Error(`${JSON.stringify(ref)} is not an image reference`)
      try {
        const raw = await call<RawImage>({ path: `/images/${ref}/json`, method: 'GET', statusCodes: codes(200) })
        return { id: raw.Id, tags: raw.RepoTags ?? [], labels: raw.Config?.Labels ?? {}, size: raw.Size, created: raw.Created }
      } catch (err) {
        if (notFound(err)) return undefined
        throw err
      }
    },
    async tag (id, repository, tag) {
      await call({ path: `/images/${encodeURIComponent(id)}/tag?`, method: 'POST', options: { repo: repository, tag }, statusCodes: codes(201) })
    },
    async userContainers () {
      const list = await call<RawContainer[]>({ path: '/containers/json?', method: 'GET', options: { all: true, filters: { label: [LABEL_USER] } }, statusCodes: codes(200) })
      const out: UserContainer[] = []
      for (const c of list) {
        let live = 0
        if (c.State === 'running') {
          // Gone between the list and now: it has no sessions.
          const info = await call<{ ExecIDs?: string[] | null }>({ path: `/containers/${c.Id}/json`, method: 'GET', statusCodes: codes(200) }).catch((err: unknown) => {
            if (notFound(err)) return { ExecIDs: [] }
            throw err
          })
          for (const exec of info.ExecIDs ?? []) {
            const e = await call<{ Running?: boolean }>({ path: `/exec/${exec}/json`, method: 'GET', statusCodes: codes(200) }).catch(() => undefined)
            if (e?.Running === true) live++
          }
        }
        out.push({
          id: c.Id,
          name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
          user: c.Labels?.[LABEL_USER] ?? '',
          imageId: c.Labels?.[LABEL_IMAGE] ?? '',
          state: c.State,
          liveSessions: live
        })
      }
      return out.sort((a, b) => a.user.localeCompare(b.user) || a.name.localeCompare(b.name))
    },
    async build (spec) {
      const dir = await mkdtemp(join(tmpdir(), 'bastion-image-'))
      const iidfile = join(dir, 'iid')
      try {
        // --force-rm: a failed step leaves no stopped container behind.
        const args = ['-H', `unix://${socketPath}`, 'build', '--network', 'host', '--force-rm', '--iidfile', iidfile, '-f', spec.dockerfile]
        if (spec.noCache) args.push('--no-cache', '--pull=false')
        for (const [k, v] of Object.entries(spec.buildArgs)) args.push('--build-arg', `${k}=${v}`)
        for (const [k, v] of Object.entries(spec.labels)) args.push('--label', `${k}=${v}`)
        args.push(spec.context)
        const child = execa(opts.dockerCli ?? 'docker', args, { cwd: spec.context, timeout: spec.timeoutMs, all: true, buffer: false, env: { DOCKER_BUILDKIT: '0' } })
        child.all?.pipe(spec.output, { end: false })
        await child
        return (await readFile(iidfile, 'utf8')).trim()
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
    async run (spec) {
      const [entrypoint, ...args] = spec.argv
      const binds = spec.binds.flatMap((b) => ['-v', b])
      const r = await execa(opts.dockerCli ?? 'docker', ['-H', `unix://${socketPath}`, 'run', '--rm', '--network', 'none', '--cap-drop', 'ALL',
        '--security-opt', 'no-new-privileges', ...binds, '--entrypoint', entrypoint ?? 'true', spec.image, ...args], { reject: false, all: true, timeout: spec.timeoutMs, stdin: 'ignore' })
      if (r.timedOut) throw new Error(`took longer than ${spec.timeoutMs} ms`)
      return { exitCode: r.exitCode ?? -1, output: String(r.all ?? '') }
    }
  }
}

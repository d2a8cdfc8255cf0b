// The real host behind a SetupContext: commands through execa, iptables through the
// metadata proxy's runner, Docker over its socket, and the image and kubeconfig work
// handed to the `bastion image` and `bastion kubeconfig` code.
import { existsSync } from 'node:fs'
import { execaRunner } from '@bastion/metadataproxy'
import { configPath } from '@bastion/config'
import { loadHostConfig } from './config.ts'
import { dockerProbe } from './docker.ts'
import { execaExec } from './exec.ts'
import { DEFAULT_NODE, findAppRoot, hostPaths } from './paths.ts'
import { buildConfiguredImage, writeConfiguredKubeconfig } from './delegate.ts'
import type { SetupContext } from './context.ts'

export interface HostOptions {
  config?: string | undefined
  root?: string | undefined
  node?: string | undefined
  users?: readonly string[] | undefined
}

export async function hostContext (opts: HostOptions, env: NodeJS.ProcessEnv = process.env): Promise<SetupContext> {
  const path = configPath(opts.config, env)
  const config = await loadHostConfig(path)
  const paths = hostPaths({
    root: opts.root ?? '/',
    app: findAppRoot(),
    node: opts.node ?? (existsSync(DEFAULT_NODE) ? DEFAULT_NODE : process.execPath),
    config: path
  })
  const exec = execaExec()
  return {
    paths,
    config,
    users: opts.users ?? [],
    exec,
    iptables: execaRunner(),
    docker: dockerProbe(config.shell.shell.dockerSocket),
    systemd: existsSync('/run/systemd/system'),
    buildImage: (image) => buildConfiguredImage(config, image),
    writeKubeconfig: (o) => writeConfiguredKubeconfig(config, paths, o),
    changed: new Set()
  }
}

// The real host behind a DoctorContext: the same config loading, paths, commands and
// Docker probe as setup, plus the network probe.
import { join } from 'node:path'
import { configPath } from '@bastion/config'
import { execaRunner } from '@bastion/metadataproxy'
import { loadHostConfig } from '../setup/config.ts'
import { dockerProbe } from '../setup/docker.ts'
import { execaExec } from '../setup/exec.ts'
import { DEFAULT_NODE, findAppRoot, hostPaths } from '../setup/paths.ts'
import { awsEks } from '../kubeconfig/eks.ts'
import { netProbe } from './probe.ts'
import { awsEc2 } from './ec2.ts'
import { localInstanceId } from './instance-id.ts'
import type { DoctorContext } from './check.ts'

export async function doctorContext (opts: { config?: string | undefined, root?: string | undefined, sshdConfig?: string | undefined, instance?: string | undefined, ec2InstanceId?: string | undefined }, env: NodeJS.ProcessEnv = process.env): Promise<DoctorContext> {
  const path = configPath(opts.config, env)
  const config = await loadHostConfig(path)
  const paths = hostPaths({ root: opts.root ?? '/', app: findAppRoot(), node: DEFAULT_NODE, config: path, instance: opts.instance })
  return {
    config,
    paths,
    sshdConfig: opts.sshdConfig ?? join(paths.root, 'etc/ssh/sshd_config'),
    exec: execaExec(),
    iptables: execaRunner(),
    docker: (socket) => dockerProbe(socket),
    probe: netProbe(),
    eks: awsEks({ endpoint: config.shell.toolbox.kubeconfig.eksEndpoint, timeoutMs: config.shell.toolbox.kubeconfig.timeoutMs }),
    ec2: awsEc2({ timeoutMs: config.shell.toolbox.kubeconfig.timeoutMs }),
    ec2InstanceId: opts.ec2InstanceId ?? await localInstanceId()
  }
}

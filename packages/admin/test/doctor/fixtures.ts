// A DoctorContext over fakes: the setup fixtures' host, kernel and Docker, and a probe
// that answers from tables (URLs, and the Unix sockets that accept a connection).
import { hostPaths } from '../../src/setup/paths.ts'
import type { DoctorContext } from '../../src/doctor/check.ts'
import type { Answer, Connected, Probe } from '../../src/doctor/probe.ts'
import type { DockerProbe } from '../../src/setup/docker.ts'
import { APP, FakeHost, fakeDocker, fakeIptables, hostConfig } from '../setup/fixtures.ts'
import { FakeEks } from '../fixtures/toolbox.ts'

export function answers (table: Record<string, Answer>, sockets: Record<string, Connected> = {}): Probe & { asked: Array<{ url: string, ca?: string | undefined }> } {
  const asked: Array<{ url: string, ca?: string | undefined }> = []
  return {
    asked,
    async get (url, opts) {
      asked.push({ url, ca: opts.ca })
      return table[url] ?? { error: 'connect ECONNREFUSED', code: 'ECONNREFUSED' }
    },
    async connect (path) {
      asked.push({ url: `unix:${path}` })
      return sockets[path] ?? { error: `connect ENOENT ${path}`, code: 'ENOENT' }
    }
  }
}

export function doctorContext (root: string, over: Partial<DoctorContext> & { dockers?: Record<string, DockerProbe> } = {}): DoctorContext & { exec: FakeHost } {
  const paths = hostPaths({ root, app: APP, node: '/n', config: '/etc/bastion/bastion.yaml' })
  const { dockers, ...rest } = over
  return {
    config: hostConfig(),
    paths,
    sshdConfig: paths.sshdConfig,
    exec: new FakeHost(),
    iptables: fakeIptables(),
    docker: (socket) => dockers?.[socket] ?? fakeDocker({ 'bastion/toolbox:unit': 'sha256:0123456789abcdef0123456789' }),
    probe: answers({}),
    eks: new FakeEks(),
    ec2: { metadataOptions: async () => ({ httpTokens: 'required', hopLimit: 1 }) },
    ...rest
  } as DoctorContext & { exec: FakeHost }
}

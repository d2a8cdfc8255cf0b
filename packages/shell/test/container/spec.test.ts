// The container a user gets: hardened exactly as designed, on the bastion network, as the
// user's own uid, and labelled so that an outdated one is recognised.
import t from 'tap'
import { createHash } from 'node:crypto'
import type Docker from 'dockerode'
import { AGENT_BIN, AGENT_DIR, KUBE_DIR, KUBE_LINK, LABEL_AGENT, LABEL_CONFIG, LABEL_IMAGE, LABEL_USER, configHash, containerHome, createOptions, kubeconfigMount, mainCommand, onNetwork, roleOf, type AgentMount, type KubeMount } from '../../src/container/spec.ts'
import { alice, testConfig } from '../fixtures/config.ts'
import { parseConfigText } from '@bastion/config'
import { ShellConfigSchema } from '../../src/config/schema.ts'

const IMAGE = 'sha256:' + 'ab'.repeat(32)
const paths = { home: '/var/lib/bastion/home/alice', passwd: '/var/lib/bastion/state/etc/shell-alice/passwd', group: '/var/lib/bastion/state/etc/shell-alice/group', agentDir: '/run/bastion/shell/agents/0123456789abcdef' }
const limited = testConfig({
  network: { name: 'bt-net' },
  shell: { limits: { pids: 128, memoryMb: 300, cpus: 1.5, tmpfsMb: 64 }, roles: { alice: 'alice-admin' } }
})

// Without a kubeconfig mount unless one is given: what the host has must not matter.
function options (config = limited, caller = alice, kube: KubeMount | null = null): Docker.ContainerCreateOptions {
  return createOptions(config, caller, 'shell-alice-x', IMAGE, paths, kube)
}
const KUBE: KubeMount = { source: '/etc/bastion/kube' }

function host (o: Docker.ContainerCreateOptions): Docker.HostConfig {
  if (o.HostConfig === undefined) throw new Error('no HostConfig')
  return o.HostConfig
}

t.test('every capability is dropped and none is added back', async (t) => {
  const h = host(options())
  t.same(h.CapDrop, ['ALL'])
  t.equal(h.CapAdd, undefined)
  t.not(h.Privileged, true)
})

t.test('no process in the container can gain privileges, and the root filesystem is read-only', async (t) => {
  const h = host(options())
  t.same(h.SecurityOpt, ['no-new-privileges'])
  t.equal(h.ReadonlyRootfs, true)
  t.equal(h.Init, true)
})

t.test('/tmp, /var/tmp and /run are tmpfs of the configured size, nosuid and nodev', async (t) => {
  const tmpfs = 'rw,nosuid,nodev,size=64m'
  t.same(host(options()).Tmpfs, { '/tmp': tmpfs, '/var/tmp': tmpfs, '/run': tmpfs })
  const other = testConfig({ shell: { limits: { tmpfsMb: 1024 } } })
  t.equal(host(options(other)).Tmpfs?.['/tmp'], 'rw,nosuid,nodev,size=1024m')
})

t.test('process, memory and CPU limits come from the config, with no swap beyond memory', async (t) => {
  const h = host(options())
  t.equal(h.PidsLimit, 128)
  t.equal(h.Memory, 300 * 1024 * 1024)
  t.equal(h.MemorySwap, 300 * 1024 * 1024)
  t.equal(h.NanoCpus, 1_500_000_000)
  const d = host(options(testConfig()))
  t.same([d.PidsLimit, d.Memory, d.MemorySwap, d.NanoCpus], [512, 2048 * 1024 * 1024, 2048 * 1024 * 1024, 1_000_000_000], 'the defaults')
})

t.test('onNetwork: a listed container is this instance\'s when it was made on its network', async (t) => {
  t.ok(onNetwork({ HostConfig: { NetworkMode: 'bt-net' } }, limited))
  t.notOk(onNetwork({ HostConfig: { NetworkMode: 'bastion-bench' } }, limited), "another instance's")
  t.notOk(onNetwork({}, limited), 'nothing said: not ours')
})

t.test('the container joins the bastion network on the person\'s own address, when given one', async (t) => {
  const pinned = createOptions(limited, alice, 'shell-alice-x', IMAGE, paths, null, null, '10.250.0.77')
  t.same(pinned.NetworkingConfig, { EndpointsConfig: { 'bt-net': { IPAMConfig: { IPv4Address: '10.250.0.77' } } } })
  t.equal(host(pinned).NetworkMode, 'bt-net')
  t.equal(options().NetworkingConfig, undefined, 'without one, Docker picks')
})

t.test('only the home and the generated passwd and group files are mounted', async (t) => {
  const o = options()
  const h = host(o)
  t.same(h.Binds, [
    '/var/lib/bastion/home/alice:/home/alice:rw',
    '/var/lib/bastion/state/etc/shell-alice/passwd:/etc/passwd:ro',
    '/var/lib/bastion/state/etc/shell-alice/group:/etc/group:ro'
  ])
  t.equal(h.Mounts, undefined)
  t.equal(h.Devices, undefined)
  t.equal(h.VolumesFrom, undefined)
  t.equal(o.Volumes, undefined)
  t.notMatch(JSON.stringify(o), /docker\.sock/)
})

t.test('the container joins the bastion network and shares no namespace with the host', async (t) => {
  const h = host(options())
  t.equal(h.NetworkMode, 'bt-net')
  t.equal(host(options(testConfig())).NetworkMode, 'bastion', 'the default network')
  const namespaces = h as Record<string, unknown>
  for (const key of ['PidMode', 'UsernsMode', 'UTSMode', 'CgroupnsMode', 'Cgroup']) t.equal(namespaces[key], undefined, `${key} is not set`)
  t.equal(h.IpcMode, 'private')
  t.not(h.NetworkMode, 'host')
})

t.test('the container runs as the user uid:gid, in their home', async (t) => {
  const o = options(limited, { uid: 2345, gid: 678, user: 'bob', groups: [] })
  t.equal(o.User, '2345:678')
  t.equal(o.WorkingDir, '/home/bob')
  t.equal(containerHome('bob'), '/home/bob')
})

t.test('the labels name the user, the image and the configuration hash', async (t) => {
  const o = options()
  t.same(o.Labels, { [LABEL_USER]: 'alice', [LABEL_IMAGE]: IMAGE, [LABEL_CONFIG]: configHash(limited, alice, null) })
  t.same([LABEL_USER, LABEL_IMAGE, LABEL_CONFIG], ['bastion.user', 'bastion.image-digest', 'bastion.config-hash'])
  t.equal(o.Image, IMAGE)
  t.equal(o.name, 'shell-alice-x')
})

t.test('IAM_ROLE is the configured role, or the username when none is configured', async (t) => {
  t.ok(options().Env?.includes('IAM_ROLE=alice-admin'))
  t.equal(options().Env?.filter((e) => e.startsWith('IAM_ROLE=')).length, 1)
  const bob = { uid: 1002, gid: 1002, user: 'bob', groups: [] }
  t.ok(options(limited, bob).Env?.includes('IAM_ROLE=bob'))
  t.equal(roleOf(limited, 'alice'), 'alice-admin')
  t.equal(roleOf(limited, 'bob'), 'bob')
})

t.test('a user named like an Object property gets the role named like them, not what the map inherits', async (t) => {
  for (const user of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) t.equal(roleOf(limited, user), user, user)
  const own = { ...limited, shell: { ...limited.shell, roles: JSON.parse('{"constructor":"ctor-role","__proto__":"proto-role"}') as Record<string, string> } }
  t.equal(roleOf(own, 'constructor'), 'ctor-role', 'an entry of their own still counts')
  t.equal(roleOf(own, '__proto__'), 'proto-role')
})

t.test('the environment names the user and home and nothing else', async (t) => {
  t.same(options().Env, ['IAM_ROLE=alice-admin', 'HOME=/home/alice', 'USER=alice', 'LOGNAME=alice'])
})

t.test('the configuration hash changes with limits, role, uid, gid and network', async (t) => {
  const base = configHash(limited, alice)
  t.match(base, /^[0-9a-f]{16}$/)
  const variants: Record<string, string> = {
    pids: configHash(testConfig({ network: { name: 'bt-net' }, shell: { limits: { pids: 129, memoryMb: 300, cpus: 1.5, tmpfsMb: 64 }, roles: { alice: 'alice-admin' } } }), alice),
    memory: configHash(testConfig({ network: { name: 'bt-net' }, shell: { limits: { pids: 128, memoryMb: 301, cpus: 1.5, tmpfsMb: 64 }, roles: { alice: 'alice-admin' } } }), alice),
    cpus: configHash(testConfig({ network: { name: 'bt-net' }, shell: { limits: { pids: 128, memoryMb: 300, cpus: 2, tmpfsMb: 64 }, roles: { alice: 'alice-admin' } } }), alice),
    tmpfs: configHash(testConfig({ network: { name: 'bt-net' }, shell: { limits: { pids: 128, memoryMb: 300, cpus: 1.5, tmpfsMb: 65 }, roles: { alice: 'alice-admin' } } }), alice),
    role: configHash(testConfig({ network: { name: 'bt-net' }, shell: { limits: { pids: 128, memoryMb: 300, cpus: 1.5, tmpfsMb: 64 }, roles: { alice: 'alice-ro' } } }), alice),
    'role removed': configHash(testConfig({ network: { name: 'bt-net' }, shell: { limits: { pids: 128, memoryMb: 300, cpus: 1.5, tmpfsMb: 64 } } }), alice),
    network: configHash(testConfig({ network: { name: 'bt-other' }, shell: { limits: { pids: 128, memoryMb: 300, cpus: 1.5, tmpfsMb: 64 }, roles: { alice: 'alice-admin' } } }), alice),
    uid: configHash(limited, { ...alice, uid: 1002 }),
    gid: configHash(limited, { ...alice, gid: 1002 })
  }
  for (const [what, hash] of Object.entries(variants)) t.not(hash, base, what)
  t.equal(new Set(Object.values(variants)).size, Object.keys(variants).length, 'each change gives its own hash')
})

t.test('a home that is an image is in the hash (a container made before it is recreated), and the size limit alone is not', async (t) => {
  const plain = configHash(limited, alice, null)
  const image = configHash(limited, alice, null, null, true)
  t.not(image, plain)
  t.equal(configHash(testConfig({ network: { name: 'bt-net' }, shell: { limits: { pids: 128, memoryMb: 300, cpus: 1.5, tmpfsMb: 64 }, roles: { alice: 'alice-admin' }, homes: { sizeMb: 64 } } }), alice, null), plain, 'turning the limit on changes nothing until the home is an image')
  const o = createOptions(limited, alice, 'shell-alice-x', IMAGE, { home: '/h/alice', passwd: '/p', group: '/g', agentDir: '/a', homeImage: true }, null)
  t.equal(o.Labels?.[LABEL_CONFIG], image)
  t.ok(o.HostConfig?.Binds?.includes('/h/alice:/home/alice:rw'), 'the home is bound as it is, its image mounted on it')
})

t.test('the configuration hash ignores settings that do not shape the container', async (t) => {
  const base = configHash(limited, alice)
  const same = testConfig({
    network: { name: 'bt-net', bridge: 'other0', subnet: '10.9.0.0/24' },
    shell: {
      limits: { pids: 128, memoryMb: 300, cpus: 1.5, tmpfsMb: 64 },
      roles: { alice: 'alice-admin', bob: 'bob-admin' },
      image: 'other/image:1',
      allowedGroup: 'others',
      idleTimeoutSeconds: 60,
      maxSessionSeconds: 60,
      gcIdleSeconds: 600,
      stepTimeoutMs: 5000,
      audit: { record: false, file: '/tmp/a.jsonl' },
      log: { level: 'debug', file: '/tmp/shell.log' }
    }
  })
  t.equal(configHash(same, alice), base)
  t.equal(configHash(limited, { ...alice, groups: ['wheel'] }), base, 'group membership')
})

t.test('the config hash does not depend on the order of keys in the file', async (t) => {
  const a = parseConfigText(ShellConfigSchema, 'shell:\n  limits: {pids: 128, memoryMb: 256, cpus: 1, tmpfsMb: 64}\n')
  const b = parseConfigText(ShellConfigSchema, 'shell:\n  limits: {tmpfsMb: 64, cpus: 1, memoryMb: 256, pids: 128}\n')
  const caller = { uid: 1001, gid: 1001, user: 'alice', groups: [] }
  t.equal(configHash(a, caller), configHash(b, caller))
})

t.test('with no kubeconfig on the host there is no kubeconfig mount, no KUBECONFIG, and the plain command', async (t) => {
  const o = options()
  t.notOk(host(o).Binds?.some((b) => b.includes(KUBE_DIR)))
  t.notOk(o.Env?.some((e) => e.startsWith('KUBECONFIG=')))
  t.same(o.Cmd, ['sleep', 'infinity'])
})

t.test("the kubeconfig directory is mounted read-only, and KUBECONFIG puts the user's own file first", async (t) => {
  const o = options(limited, alice, KUBE)
  t.same(host(o).Binds, [
    '/var/lib/bastion/home/alice:/home/alice:rw',
    '/var/lib/bastion/state/etc/shell-alice/passwd:/etc/passwd:ro',
    '/var/lib/bastion/state/etc/shell-alice/group:/etc/group:ro',
    '/etc/bastion/kube:/etc/bastion/kube:ro'
  ])
  t.same(o.Env, ['IAM_ROLE=alice-admin', 'HOME=/home/alice', 'USER=alice', 'LOGNAME=alice', `KUBECONFIG=/home/alice/.kube/config:${KUBE_LINK}`])
  t.equal(host(options(limited, alice, { source: '/srv/kube' })).Binds?.at(-1), '/srv/kube:/etc/bastion/kube:ro', 'the configured directory')
})

t.test('KUBECONFIG reaches the read-only file through a link in /tmp, made at start, where kubectl can put its lock files', async (t) => {
  const o = options(limited, alice, KUBE)
  t.match(KUBE_LINK, /^\/tmp\/[^/]+\/config$/)
  t.ok(Object.hasOwn(host(o).Tmpfs ?? {}, '/tmp'), '/tmp is a writable tmpfs')
  t.same(o.Cmd, ['sh', '-c', 'mkdir -p -m 1777 /tmp/.bastion-kube; ln -sfn /etc/bastion/kube/config /tmp/.bastion-kube/config; exec sleep infinity'])
})

t.test('the configuration hash changes when the kubeconfig mount appears or moves, and not otherwise', async (t) => {
  const none = configHash(limited, alice, null)
  const mounted = configHash(limited, alice, KUBE)
  t.not(mounted, none)
  t.not(configHash(limited, alice, { source: '/srv/kube' }), mounted)
  t.equal(options(limited, alice, KUBE).Labels?.[LABEL_CONFIG], mounted, 'the label carries it')
  // A container without a kubeconfig (or an agent) hashes only what shapes it.
  const s = limited.shell
  const before = createHash('sha256').update(JSON.stringify({ v: 4, network: 'bt-net', limits: [s.limits.pids, s.limits.memoryMb, s.limits.cpus, s.limits.tmpfsMb], role: 'alice-admin', uid: alice.uid, gid: alice.gid })).digest('hex').slice(0, 16)
  t.equal(none, before)
})

t.test('kubeconfigMount looks for the file config in shell.kubeconfigDir', async (t) => {
  const asked: string[] = []
  t.same(kubeconfigMount(testConfig({ shell: { kubeconfigDir: '/srv/kube' } }), (p) => { asked.push(p); return true }), { source: '/srv/kube' })
  t.equal(kubeconfigMount(testConfig(), (p) => { asked.push(p); return false }), undefined)
  t.same(asked, ['/srv/kube/config', '/etc/bastion/kube/config'], 'the default directory is /etc/bastion/kube')
  t.equal(kubeconfigMount(testConfig({ shell: { kubeconfigDir: '/nonexistent-bastion-test' } })), undefined, 'the real filesystem by default')
  const absent = testConfig({ shell: { kubeconfigDir: '/nonexistent-bastion-test' } })
  t.equal(configHash(absent, alice), configHash(absent, alice, null))
  t.same(createOptions(absent, alice, 'shell-alice-x', IMAGE, paths), options(absent, alice, null), 'createOptions looks it up too')
})

const AGENT: AgentMount = { hostPath: '/usr/local/libexec/bastion/bastion-agent', hash: '0011223344556677' }

t.test('with an agent, the binary and the session directory are mounted read-only and the agent is the main command', async (t) => {
  const o = createOptions(limited, alice, 'shell-alice-x', IMAGE, paths, null, AGENT)
  t.same(host(o).Binds?.slice(-2), [
    `/usr/local/libexec/bastion/bastion-agent:${AGENT_BIN}:ro`,
    `/run/bastion/shell/agents/0123456789abcdef:${AGENT_DIR}:ro`
  ])
  t.same(o.Cmd, [AGENT_BIN, '--as-requested-user'], 'a flag an agent too old to run commands as the user exits on')
  t.equal(host(o).Init, true, 'under Docker\'s init, which reaps what sessions leave behind')
  t.equal(o.Labels?.[LABEL_AGENT], '0011223344556677')
  t.equal(o.User, '0:0', 'the agent is root, out of the user\'s reach; it runs every command as the user')
  t.same(host(o).CapAdd, ['SETUID', 'SETGID', 'KILL'], 'only what it needs to become the user and to kill what a session started')
  t.same(host(o).CapDrop, ['ALL'])
  t.ok(host(o).SecurityOpt?.includes('no-new-privileges'))
})

t.test('the agent starts after the kubeconfig link when there is one', async (t) => {
  t.same(mainCommand(KUBE, AGENT), ['sh', '-c', `mkdir -p -m 1777 /tmp/.bastion-kube; ln -sfn /etc/bastion/kube/config /tmp/.bastion-kube/config; exec ${AGENT_BIN} --as-requested-user`])
  t.same(mainCommand(null, AGENT), [AGENT_BIN, '--as-requested-user'])
  t.same(mainCommand(null, null), ['sleep', 'infinity'])
})

t.test('without an agent there is no agent label, mount or command: sessions use docker exec', async (t) => {
  const o = options()
  t.equal(o.Labels?.[LABEL_AGENT], undefined)
  t.notOk(host(o).Binds?.some((b) => b.includes(AGENT_BIN) || b.includes(AGENT_DIR)))
})

t.test('the configuration hash changes with the agent binary and the run directory, so containers get the new agent', async (t) => {
  const without = configHash(limited, alice, null, null)
  const withAgent = configHash(limited, alice, null, AGENT)
  t.not(withAgent, without)
  t.not(configHash(limited, alice, null, { ...AGENT, hash: 'ffeeddccbbaa9988' }), withAgent, 'a new build')
  const moved = testConfig({ network: { name: 'bt-net' }, shell: { limits: { pids: 128, memoryMb: 300, cpus: 1.5, tmpfsMb: 64 }, roles: { alice: 'alice-admin' }, broker: { runDir: '/run/other' } } })
  t.not(configHash(moved, alice, null, AGENT), withAgent, 'another run directory')
  t.equal(configHash(limited, alice, null, { ...AGENT, hostPath: '/elsewhere' }), withAgent, 'the same binary elsewhere changes nothing')
})

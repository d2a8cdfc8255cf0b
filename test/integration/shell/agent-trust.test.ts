// The agent, the part of a session that runs in the user's container, is out of the
// user's reach (docs/shell/agent-trust.md): it runs as root there, so none of the
// user's processes can connect to a session's socket before it does, signal it, trace
// it or read its memory, or replace it, and so none can feed the broker forged output
// or a forged exit status.
import t from 'tap'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { ssh, sshFacts } from '../../fixtures/ssh.ts'
import { DOCKER, containersOf, inspect, sleep, withShellConfig } from '../../fixtures/shell.ts'

const USER = 'bt-carol'

// Connects to a Unix socket and reports what happened: "connected" or the errno name.
const CONNECT = 'import socket,sys,errno\ns=socket.socket(socket.AF_UNIX)\ntry:\n  s.connect(sys.argv[1]); print("connected")\nexcept OSError as e:\n  print(errno.errorcode[e.errno])\n'

async function agentHostPid (container: string): Promise<number> {
  const top = (await execa(DOCKER, ['top', container, '-eo', 'pid,args'])).stdout.split('\n')
  const line = top.find((l) => /^\s*\d+\s+\/usr\/local\/libexec\/bastion-agent\b/.test(l))
  if (line === undefined) throw new Error(`no agent in ${container}:\n${top.join('\n')}`)
  return Number(line.trim().split(/\s+/)[0])
}

t.test('a user cannot connect to a session\'s agent socket, even while the agent has not taken it', async (t) => {
  // Long enough for the test to find the socket while the agent is stopped.
  withShellConfig(t, { agent: { path: sshFacts().agent, timeoutMs: 8000 } })
  const first = await ssh(USER, 'true')
  t.equal(first.exitCode, 0, first.stderr)
  const id = (await containersOf(USER))[0]!
  const info = await inspect(id)
  // The host side of the container's /run/bastion-agent.
  const dir = (info.Mounts as Array<{ Source: string, Destination: string }>).find((m) => m.Destination === '/run/bastion-agent')?.Source as string
  t.ok(dir?.startsWith(sshFacts().runDir), `the agent directory ${dir} is the broker's`)
  const uid = (await execa('id', ['-u', USER])).stdout
  const gid = (await execa('id', ['-g', USER])).stdout
  const agent = await agentHostPid(id)
  process.kill(agent, 'SIGSTOP')
  t.teardown(() => { try { process.kill(agent, 'SIGCONT') } catch { /* the container is gone */ } })

  const session = ssh(USER, 'echo genuine', { timeoutMs: 60_000 })
  let sock: string | undefined
  for (let i = 0; i < 200 && sock === undefined; i++) {
    sock = (existsSync(dir) ? readdirSync(dir) : []).find((n) => n.endsWith('.sock') && !n.startsWith('.'))
    if (sock === undefined) await sleep(25)
  }
  t.ok(sock, 'the broker offered a session socket')
  const inContainer = await execa(DOCKER, ['exec', '-u', `${uid}:${gid}`, id, 'python3', '-c', CONNECT, `/run/bastion-agent/${sock!}`], { reject: false })
  t.equal(inContainer.stdout.trim(), 'EACCES', `a process of ${USER} in the container is refused`)
  const onHost = await execa('runuser', ['-u', USER, '--', 'python3', '-c', CONNECT, join(dir, sock!)], { reject: false })
  t.match(onHost.stdout.trim(), /^(EACCES|ENOENT)$/, `a process of ${USER} on the host is refused`)
  process.kill(agent, 'SIGCONT')
  const r = await session
  t.equal(r.stdout.toString(), 'genuine\n', 'the session itself still ran')
})

t.test('a user cannot signal, stop, trace, read or replace the agent', async (t) => {
  const script = [
    'a=; for p in /proc/[0-9]*; do case "$(tr "\\0" " " < $p/cmdline 2>/dev/null)" in "/usr/local/libexec/bastion-agent "*) a=${p#/proc/};; esac; done',
    'echo "agent=$a"',
    'kill -0 "$a" 2>/dev/null && echo signal=yes || echo signal=no',
    'kill -STOP "$a" 2>/dev/null && { echo stop=yes; kill -CONT "$a"; } || echo stop=no',
    'cat /proc/$a/environ >/dev/null 2>&1 && echo environ=yes || echo environ=no',
    'head -c1 /proc/$a/mem >/dev/null 2>&1 && echo mem=yes || echo mem=no',
    'python3 -c "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); r=l.ptrace(16,int(sys.argv[1]),0,0); print(\\"ptrace=\\"+(\\"yes\\" if r==0 else \\"no\\"))" "$a"',
    'cp /bin/true /usr/local/libexec/bastion-agent 2>/dev/null && echo replace=yes || echo replace=no',
    'stat -c "owner=%u" /proc/$a'
  ].join('\n')
  const r = await ssh(USER, script)
  const out = r.stdout.toString()
  t.match(out, /^agent=\d+$/m, 'the agent is visible in the container')
  for (const what of ['signal', 'stop', 'environ', 'mem', 'ptrace', 'replace']) t.match(out, new RegExp(`^${what}=no$`, 'm'), `${what}: refused`)
  t.match(out, /^owner=0$/m, 'the agent is root\'s')
})

t.test('the user\'s commands run as the user, with no capability and no way to gain one', async (t) => {
  const uid = (await execa('id', ['-u', USER])).stdout
  const r = await ssh(USER, 'id -u; grep -E "^(Cap(Inh|Prm|Eff|Amb)|NoNewPrivs):" /proc/self/status | awk "{print \\$2}" | sort -u')
  t.equal(r.stdout.toString(), `${uid}\n0000000000000000\n1\n`)
})

// What a session is, as its audit line names it: shells, commands, and the transfers
// of scp, sftp and rsync as their clients send them, and nothing that only looks like one.
import t from 'tap'
import { sessionKind } from '../../src/session/kind.ts'

t.test('an interactive login is a shell; anything unrecognised is a command', async (t) => {
  t.same(sessionKind(undefined), { kind: 'shell', transfer: null })
  t.same(sessionKind('kubectl get pods'), { kind: 'command', transfer: null })
  t.same(sessionKind(''), { kind: 'command', transfer: null })
})

t.test('scp\'s server side: -t is an upload, -f a download, with their paths', async (t) => {
  t.same(sessionKind('scp -t -- via-legacy-scp.bin'), { kind: 'scp', transfer: { direction: 'upload', paths: ['via-legacy-scp.bin'] } })
  t.same(sessionKind('scp -r -p -f /home/alice/dir'), { kind: 'scp', transfer: { direction: 'download', paths: ['/home/alice/dir'] } })
  t.same(sessionKind("scp -t -- 'with space.txt'"), { kind: 'scp', transfer: { direction: 'upload', paths: ['with space.txt'] } })
  t.same(sessionKind('scp -tf x'), { kind: 'command', transfer: null }, 'both at once is not scp')
  t.same(sessionKind('scp x y'), { kind: 'command', transfer: null }, 'a client-side scp run on the bastion is a command')
})

t.test('sftp-server, by any path, is sftp', async (t) => {
  t.same(sessionKind('/usr/lib/openssh/sftp-server'), { kind: 'sftp', transfer: { direction: 'both', paths: [] } })
  t.same(sessionKind('/usr/lib/openssh/sftp-server -l INFO -u 022'), { kind: 'sftp', transfer: { direction: 'both', paths: [] } })
  t.same(sessionKind('internal-sftp'), { kind: 'sftp', transfer: { direction: 'both', paths: [] } })
})

t.test('rsync\'s server side: --sender is a download, otherwise an upload; never --daemon', async (t) => {
  t.same(sessionKind('rsync --server -logDtpre.iLsfxCIvu . via-rsync.bin'), { kind: 'rsync', transfer: { direction: 'upload', paths: ['via-rsync.bin'] } })
  t.same(sessionKind('rsync --server --sender -logDtpre.iLsfxCIvu . /home/alice/a /home/alice/b'), { kind: 'rsync', transfer: { direction: 'download', paths: ['/home/alice/a', '/home/alice/b'] } })
  t.same(sessionKind('rsync --server --daemon .'), { kind: 'command', transfer: null }, 'a daemon\'s configuration may run programs')
  t.same(sessionKind('rsync --server --config=/tmp/x -e. . y'), { kind: 'command', transfer: null })
  t.same(sessionKind('rsync --server -e.Lsfx x'), { kind: 'command', transfer: null }, 'no "." argument: not as the client sends it')
  t.same(sessionKind('rsync -a x y'), { kind: 'command', transfer: null })
})

t.test('anything a shell would treat specially makes it a command, recorded as such', async (t) => {
  for (const c of ['scp -t x; bash', 'scp -t $(id)', 'scp -t x && sh', '/usr/lib/openssh/sftp-server | tee x', 'rsync --server . x\nbash', 'scp -t "x"', 'scp -t \'x', 'scp -t x\\ y', 'scp -t ~/x', 'sftp-server `id`']) {
    t.same(sessionKind(c), { kind: 'command', transfer: null }, c)
  }
  t.same(sessionKind('/usr/lib/openssh/sftp-server -d $HOME'), { kind: 'command', transfer: null })
  t.same(sessionKind("/usr/lib/openssh/sftp-server 'a b'"), { kind: 'command', transfer: null }, 'sftp-server takes no such argument')
})

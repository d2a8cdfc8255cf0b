// The broker's run directory, laid out in one place: short, stable per-container
// session directories, and the private directory beside them.
import t from 'tap'
import { agentDir, runDirs } from '../../src/broker/run-dir.ts'
import { testConfig } from '../fixtures/config.ts'

t.test('each container has its own session directory under the run directory, with a short name', async (t) => {
  const c = testConfig({ shell: { broker: { runDir: '/run/bastion-x/shell' } } })
  const a = agentDir(c, 'shell-alice-0123456789')
  t.match(a, /^\/run\/bastion-x\/shell\/agents\/[0-9a-f]{16}$/)
  t.not(agentDir(c, 'shell-bob-0123456789'), a)
  t.equal(agentDir(c, 'shell-alice-0123456789'), a, 'stable')
  t.equal(runDirs(c.shell.broker.runDir).privateDir, '/run/bastion-x/shell/private')
  const longest = `${agentDir(testConfig({ shell: { broker: { runDir: '/' + 'r'.repeat(59) } } }), 'x')}/${'f'.repeat(12)}.sock`
  t.ok(Buffer.byteLength(longest) <= 107, `the longest session socket path fits a Unix socket address (${longest.length})`)
})

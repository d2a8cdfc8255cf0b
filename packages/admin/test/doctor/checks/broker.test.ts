// Check `broker`: something accepts connections on <shell.broker.runDir>/broker.sock.
import t from 'tap'
import { brokerCheck } from '../../../src/doctor/checks/broker.ts'
import { hostPaths } from '../../../src/setup/paths.ts'
import { APP, CONFIG_TEXT, hostConfig, scratchDir } from '../../setup/fixtures.ts'
import { answers, doctorContext } from '../fixtures.ts'

const SOCKET = '/run/bastion/shell/broker.sock'

t.test("a broker that accepts: ok, and only the configured run directory's socket was tried", async (t) => {
  const probe = answers({}, { [SOCKET]: { connected: true } })
  t.same(await brokerCheck.run(doctorContext(scratchDir(t), { probe })), { status: 'ok', detail: `the session broker answers on ${SOCKET}` })
  t.same(probe.asked, [{ url: `unix:${SOCKET}` }])
  const moved = answers({}, { '/run/bt/shell/broker.sock': { connected: true } })
  const config = hostConfig(CONFIG_TEXT.replace('allowedGroup: bt-unit-users }', 'allowedGroup: bt-unit-users, broker: { runDir: /run/bt/shell } }'))
  t.equal((await brokerCheck.run(doctorContext(scratchDir(t), { probe: moved, config }))).status, 'ok')
})

t.test('no socket: never started, so the fix enables and starts the unit', async (t) => {
  t.same(await brokerCheck.run(doctorContext(scratchDir(t))), {
    status: 'problems',
    problems: [{
      problem: `the session broker does not answer on ${SOCKET} (ENOENT), so every login fails with BASTION_SHELL_BROKER_UNAVAILABLE`,
      fix: "systemctl enable --now bastion-shell-broker, then see `journalctl -u bastion-shell-broker`; `bastion doctor`'s shell line says whether the login shell and the config agree on the socket"
    }]
  })
})

t.test('a socket nobody accepts on: it died, so the fix restarts it', async (t) => {
  const probe = answers({}, { [SOCKET]: { error: `connect ECONNREFUSED ${SOCKET}`, code: 'ECONNREFUSED' } })
  t.match(await brokerCheck.run(doctorContext(scratchDir(t), { probe })), { problems: [{ problem: /\(ECONNREFUSED\)/, fix: /^systemctl restart bastion-shell-broker, then/ }] })
  const bare = answers({}, { [SOCKET]: { error: 'something odd' } })
  t.match(await brokerCheck.run(doctorContext(scratchDir(t), { probe: bare })), { problems: [{ problem: /\(something odd\)/ }] })
})

t.test("another instance's broker is not the unit's: the fix starts its own wrapper", async (t) => {
  const root = scratchDir(t)
  const ctx = doctorContext(root, { paths: hostPaths({ root, app: APP, node: '/n', config: '/c', instance: 'testbed' }) })
  t.match(await brokerCheck.run(ctx), { problems: [{ fix: /^start \/usr\/local\/libexec\/bastion\/shell-broker-testbed serve, as the first install did, and see its log; / }] })
})

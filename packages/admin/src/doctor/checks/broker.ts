// Session broker up: something accepts connections on <shell.broker.runDir>/broker.sock,
// where every login shell connects (docs/shell/protocol.md). Doctor connects and hangs up
// without a word: the broker sees a client that went away, and no session starts.
import { join } from 'node:path'
import { ok, problems, type Check } from '../check.ts'

const TIMEOUT_MS = 3000
const UNIT = 'bastion-shell-broker'

export const brokerCheck: Check = {
  name: 'broker',
  summary: 'the session broker accepts connections on <shell.broker.runDir>/broker.sock',
  async run (ctx) {
    const socket = join(ctx.config.shell.shell.broker.runDir, 'broker.sock')
    const answer = await ctx.probe.connect(socket, { timeoutMs: TIMEOUT_MS })
    if ('connected' in answer) return ok(`the session broker answers on ${socket}`)
    // No socket at all: never started (or not enabled); a socket nobody accepts on: it
    // died. The unit runs the default copy; another instance's broker is its wrapper's.
    const start = ctx.paths.instance !== ''
      ? `start ${ctx.paths.installed.broker} serve, as the first install did, and see its log`
      : `${answer.code === 'ENOENT' ? `systemctl enable --now ${UNIT}` : `systemctl restart ${UNIT}`}, then see \`journalctl -u ${UNIT}\``
    return problems([{
      problem: `the session broker does not answer on ${socket} (${answer.code ?? answer.error}), so every login fails with BASTION_SHELL_BROKER_UNAVAILABLE`,
      fix: `${start}; \`bastion doctor\`'s shell line says whether the login shell and the config agree on the socket`
    }])
  }
}

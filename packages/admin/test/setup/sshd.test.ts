// Reading sshd settings: the drop-in's, and what `sshd -T` says sshd applies.
import t from 'tap'
import { effectiveSettings, inactiveSettings, parseSettings } from '../../src/setup/sshd.ts'
import { FakeHost } from './fixtures.ts'

t.test('settings from a config text: keywords lower-cased, AcceptEnv per value, Match ends it', async (t) => {
  const s = parseSettings('# c\n\nDisableForwarding yes\n  AcceptEnv LANG LC_*\nAcceptEnv TERM\nSubsystem sftp /usr/lib/openssh/sftp-server\nMatch User x\nX11Forwarding yes\n')
  t.same([...s.entries()], [['disableforwarding', ['yes']], ['acceptenv', ['LANG', 'LC_*', 'TERM']], ['subsystem', ['sftp /usr/lib/openssh/sftp-server']]])
})

t.test('inactive settings: another value, a missing one, and a different AcceptEnv set', async (t) => {
  const dropin = parseSettings('AllowTcpForwarding no\nX11Forwarding no\nAcceptEnv LANG LC_*\nPermitTunnel no\n')
  t.same(inactiveSettings(dropin, parseSettings('allowtcpforwarding no\nx11forwarding no\nacceptenv LANG\nacceptenv LC_*\npermittunnel NO\n')), [])
  t.same(inactiveSettings(dropin, parseSettings('allowtcpforwarding yes\nacceptenv LANG\nacceptenv LC_*\nacceptenv LD_PRELOAD\npermittunnel no\n')), [
    'allowtcpforwarding is yes, the drop-in says no',
    'x11forwarding is (not set), the drop-in says no',
    'acceptenv is LANG LC_* LD_PRELOAD, the drop-in says LANG LC_*'
  ])
})

t.test('sshd -T is asked with the main config; a failure is reported, not thrown', async (t) => {
  const host = new FakeHost()
  host.handlers.push((cmd, args) => cmd === '/usr/sbin/sshd' && args[2] === '/good' ? { exitCode: 0, stdout: 'x11forwarding no\n', stderr: '' } : undefined)
  host.handlers.push((cmd) => cmd === '/usr/sbin/sshd' ? { exitCode: 255, stdout: '', stderr: 'line1\n/bad line 3: Bad configuration option: Nope\n' } : undefined)
  t.same([...((await effectiveSettings(host, '/good')) as Map<string, string[]>).entries()], [['x11forwarding', ['no']]])
  t.same(await effectiveSettings(host, '/bad'), { error: 'sshd -T -f /bad exited with 255: line1 / /bad line 3: Bad configuration option: Nope' })
  t.same(host.calls, [['/usr/sbin/sshd', '-T', '-f', '/good'], ['/usr/sbin/sshd', '-T', '-f', '/bad']])
})

// Reading sshd settings: the drop-in's, and what `sshd -T` says sshd applies.
import t from 'tap'
import { effectiveSettings, parseSettings, weakerSettings } from '../../src/setup/sshd.ts'
import { FakeHost } from './fixtures.ts'

t.test('settings from a config text: keywords lower-cased, AcceptEnv per value, Match ends it', async (t) => {
  const s = parseSettings('# c\n\nDisableForwarding yes\n  AcceptEnv LANG LC_*\nAcceptEnv TERM\nSubsystem sftp /usr/lib/openssh/sftp-server\nMatch User x\nX11Forwarding yes\n')
  t.same([...s.entries()], [['disableforwarding', ['yes']], ['acceptenv', ['LANG', 'LC_*', 'TERM']], ['subsystem', ['sftp /usr/lib/openssh/sftp-server']]])
})

t.test('weaker settings: another value, a missing one, and an AcceptEnv beyond the drop-in', async (t) => {
  const dropin = parseSettings('AllowTcpForwarding no\nX11Forwarding no\nAcceptEnv LANG LC_*\nPermitTunnel no\n')
  t.same(weakerSettings(dropin, parseSettings('allowtcpforwarding no\nx11forwarding no\nacceptenv LANG\nacceptenv LC_*\npermittunnel NO\n')), [])
  t.same(weakerSettings(dropin, parseSettings('allowtcpforwarding no\nx11forwarding no\npermittunnel no\n')), [], 'no AcceptEnv at all is stricter')
  t.same(weakerSettings(dropin, parseSettings('allowtcpforwarding yes\nacceptenv LANG\nacceptenv LC_*\nacceptenv LD_PRELOAD\npermittunnel no\n')), [
    'allowtcpforwarding is yes, the drop-in says no',
    'x11forwarding is (not set), the drop-in says no',
    'acceptenv is LANG LC_* LD_PRELOAD, the drop-in says LANG LC_* (also LD_PRELOAD)'
  ])
})

const LIMITS = parseSettings([
  'KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256',
  'Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com',
  'RequiredRSASize 3072',
  'MaxAuthTries 4',
  'LoginGraceTime 30',
  'ClientAliveCountMax 3',
  'MaxStartups 100:30:300',
  'PerSourceMaxStartups 64',
  'PerSourceNetBlockSize 32:64'
].join('\n'))

t.test('stricter than the drop-in is fine: fewer algorithms, in another order, and lower limits', async (t) => {
  t.same(weakerSettings(LIMITS, parseSettings([
    'kexalgorithms curve25519-sha256',
    'ciphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com',
    'requiredrsasize 4096',
    'maxauthtries 3',
    'logingracetime 20',
    'clientalivecountmax 1',
    'maxstartups 10:30:100',
    'persourcemaxstartups 1',
    'persourcenetblocksize 24:48'
  ].join('\n'))), [])
})

t.test('weaker than the drop-in is named: added algorithms, higher limits, no limit, a smaller RSA key, finer source blocks', async (t) => {
  t.same(weakerSettings(LIMITS, parseSettings([
    'kexalgorithms curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256',
    'ciphers chacha20-poly1305@openssh.com,aes128-cbc',
    'requiredrsasize 2048',
    'maxauthtries 6',
    'logingracetime 0',
    'clientalivecountmax 0',
    'maxstartups 10:30:400',
    'persourcemaxstartups none',
    'persourcenetblocksize 32:128'
  ].join('\n'))), [
    'kexalgorithms also offers ecdh-sha2-nistp256,diffie-hellman-group14-sha256, which the drop-in leaves out',
    'ciphers also offers aes128-cbc, which the drop-in leaves out',
    'requiredrsasize is 2048, the drop-in says 3072 (lower)',
    'maxauthtries is 6, the drop-in says 4 (higher)',
    'logingracetime is 0, the drop-in says 30 (no limit)',
    'clientalivecountmax is 0, the drop-in says 3 (no limit)',
    'maxstartups is 10:30:400, the drop-in says 100:30:300 (higher)',
    'persourcemaxstartups is none, the drop-in says 64 (higher)',
    'persourcenetblocksize is 32:128, the drop-in says 32:64 (finer blocks, so one network counts as many sources)'
  ])
  t.same(weakerSettings(LIMITS, parseSettings('maxstartups 200\nmaxauthtries lots\n')).filter((l) => /^(maxstartups|maxauthtries)/.test(l)), [
    'maxauthtries is lots, the drop-in says 4 (not a number)',
    'maxstartups is 200, the drop-in says 100:30:300 (higher)'
  ])
  t.match(weakerSettings(LIMITS, new Map()), ['kexalgorithms is (not set), the drop-in says sntrup761x25519-sha512@openssh.com,curve25519-sha256'])
  t.match(weakerSettings(LIMITS, new Map([['maxauthtries', ['4', '5']]])).filter((l) => l.startsWith('maxauthtries')), ['maxauthtries is 4 5, the drop-in says 4 (set more than once)'])
})

t.test('sshd -T is asked with the main config; a failure is reported, not thrown', async (t) => {
  const host = new FakeHost()
  host.handlers.push((cmd, args) => cmd === '/usr/sbin/sshd' && args[2] === '/good' ? { exitCode: 0, stdout: 'x11forwarding no\n', stderr: '' } : undefined)
  host.handlers.push((cmd) => cmd === '/usr/sbin/sshd' ? { exitCode: 255, stdout: '', stderr: 'line1\n/bad line 3: Bad configuration option: Nope\n' } : undefined)
  t.same([...((await effectiveSettings(host, '/good')) as Map<string, string[]>).entries()], [['x11forwarding', ['no']]])
  t.same(await effectiveSettings(host, '/bad'), { error: 'sshd -T -f /bad exited with 255: line1 / /bad line 3: Bad configuration option: Nope' })
  t.same(host.calls, [['/usr/sbin/sshd', '-T', '-f', '/good'], ['/usr/sbin/sshd', '-T', '-f', '/bad']])
  t.same(await effectiveSettings(host, '/bad', 'user=alice,host=,addr='), { error: 'sshd -T -f /bad -C user=alice,host=,addr= exited with 255: line1 / /bad line 3: Bad configuration option: Nope' })
})

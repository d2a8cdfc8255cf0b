// One kubectl call made through ssh shows up in all three audit trails (the shell's
// session log, the metadata proxy's credential log, kube-apiserver's audit log), tied
// together by the access key, and `bastion audit --user johnsmith` prints them as one
// timeline with the session's recording.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { execa } from 'execa'
import { bastion, lineIn, localBastion, session } from '../../fixtures/e2e-bastion.ts'
import { seedPods } from '../../fixtures/e2e-cluster.ts'
import { bedFacts } from '../../fixtures/testbed.ts'

const b = localBastion()
await seedPods()
const sessionsLog: string = b.config.shell?.audit?.file ?? '/var/log/bastion/sessions.jsonl'
const credentialsLog: string | undefined = b.config.metadataproxy?.log?.auditFile
const kubeAuditLog = bedFacts()('BASTION_TEST_KUBE_AUDIT_LOG')

t.test('one kubectl call through ssh is in the session log, the credential log and the kube-apiserver audit log', async (t) => {
  t.ok(credentialsLog, 'the bastion\'s config names the proxy\'s audit file (metadataproxy.log.auditFile)')
  // A fresh container gets fresh credentials, so the call has its own issuance line.
  const old = (await execa('docker', ['ps', '-aq', '--filter', 'label=bastion.user=johnsmith'])).stdout.trim()
  if (old !== '') await execa('docker', ['rm', '-f', ...old.split('\n')])
  const since = new Date().toISOString()

  const s = await session(b, 'johnsmith', t)
  const call = await s.run('kubectl get pods -n default -o name')
  t.equal(call.exitCode, 0, 'it succeeds', { output: call.output })
  await s.end()

  const start = await lineIn(sessionsLog, (v) => v.event === 'session-start' && v.user === 'johnsmith' && v.time >= since && v.tty === true)
  t.ok(start, 'the session log has his session')
  const end = await lineIn(sessionsLog, (v) => v.event === 'session-end' && v.session === start?.session)
  t.ok(end, 'and its end')
  t.ok(start?.recording !== null && existsSync(start?.recording), `its recording exists: ${start?.recording}`)
  t.match(readFileSync(start.recording, 'utf8'), 'kubectl get pods -n default -o name', 'the recording holds what he typed')

  const issued = await lineIn(credentialsLog ?? '/nonexistent', (v) => v.audit === 'credential-issued' && v.user === 'johnsmith' && v.time >= Date.parse(since))
  t.ok(issued, 'the proxy logged the credentials it issued to his container')
  t.match(issued?.role, /:role\/(.*\/)?johnsmith$/)

  const event = await lineIn(kubeAuditLog, (v) => v.user?.username === 'johnsmith' && v.verb === 'list' && v.objectRef?.resource === 'pods' &&
    v.objectRef?.namespace === 'default' && v.requestReceivedTimestamp >= since)
  t.ok(event, 'kube-apiserver logged the call under his name')
  t.match(event?.user?.extra?.arn?.[0], /^arn:aws:sts::\d{12}:assumed-role\/johnsmith\/johnsmith$/, 'with his assumed role in extra.arn')
  t.equal(event?.user?.extra?.accessKeyId?.[0]?.slice(-4), issued?.accessKeyIdSuffix, 'made with the access key the proxy issued')
  t.equal(event?.annotations?.['authorization.k8s.io/decision'], 'allow')

  const r = await bastion(b, ['audit', '--user', 'johnsmith', '--since', since, '--json'])
  t.equal(r.exitCode, 0, 'it succeeds', { stderr: r.stderr })
  const timeline = JSON.parse(r.stdout)
  t.same(timeline.warnings, [], 'every trail was read, nothing was odd')
  const kinds = timeline.entries.map((e: { kind: string }) => e.kind)
  t.ok(kinds.includes('ssh') && kinds.includes('credentials') && kinds.includes('kubernetes'), `all three trails in the timeline: ${kinds.join(', ')}`)
  const kubeEntry = timeline.entries.find((e: any) => e.kind === 'kubernetes' && e.auditId === event?.auditID) // eslint-disable-line @typescript-eslint/no-explicit-any
  t.match(kubeEntry, { cluster: 'hyades', verb: 'list', resource: 'pods', namespace: 'default', code: 200, decision: 'allow', accessKeyIdSuffix: issued?.accessKeyIdSuffix })
  t.match(timeline.entries.find((e: any) => e.kind === 'ssh' && e.event === 'start'), { session: start?.session, recording: start?.recording }) // eslint-disable-line @typescript-eslint/no-explicit-any
  const times = timeline.entries.map((e: { time: string }) => e.time)
  t.same(times, [...times].sort(), 'sorted by time')

  const text = await bastion(b, ['audit', '--user', 'johnsmith', '--since', since])
  t.equal(text.exitCode, 0)
  t.match(text.stdout, new RegExp(`recording: file://${start?.recording}`))
  t.match(text.stdout, /kubernetes +hyades: list pods in namespace default -> 200 allow/)
})

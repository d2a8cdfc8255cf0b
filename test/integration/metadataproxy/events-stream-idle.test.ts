// Regression: a client-wide Docker timeout once cut the idle events stream every few
// seconds; each reconnect emptied the index (fail closed) and managed containers got
// 404s under load. The stream must stay open however long Docker is quiet.
import t from 'tap'
import { startProxy } from '../../fixtures/proxy.ts'
import { runBox } from '../../fixtures/containers.ts'

t.test('an idle events stream stays open and the container keeps its answers', async (t) => {
  const proxy = await startProxy(t, { docker: { timeoutMs: 1000 } })
  const box = await runBox(t, proxy, { user: 'quinn' })
  const token = await box.token()
  await new Promise((r) => setTimeout(r, 4000))
  const r = await box.exec(['sh', '-c', `for i in $(seq 200); do curl -s -o /dev/null -w '%{http_code}\\n' -H 'X-aws-ec2-metadata-token: ${token}' http://169.254.169.254/latest/meta-data/iam/security-credentials/quinn; done | sort | uniq -c`])
  t.match(r.stdout.trim(), /^200 200$/, 'all 200 requests answered 200')
  const warnings = proxy.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('docker events stream'))
  t.same(warnings, [], 'the events stream never broke')
})

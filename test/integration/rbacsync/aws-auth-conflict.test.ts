// aws-auth edited by someone else between our read and our write, on the real API
// server: the write carries resourceVersion, gets 409, and rbacsync re-reads and
// merges instead of overwriting.
import t from 'tap'
import { addUser, sandbox, sync, wipe, writeConfig } from './fixtures/sandbox.ts'

const AWS_AUTH = '/api/v1/namespaces/kube-system/configmaps/aws-auth'

t.test('a concurrent edit of aws-auth is re-read and kept', async (t) => {
  const s = await sandbox('210000000003')
  t.teardown(() => s.close())
  await wipe(s)
  t.teardown(() => wipe(s))
  const nodes = '- rolearn: arn:aws:iam::210000000003:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n'
  await s.kube.post('/api/v1/namespaces/kube-system/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles: nodes } })
  const front = await s.frontFor()
  const dir = t.testdir({})
  const config = writeConfig(dir, s, { cluster: 'orion', kubeconfig: front.kubeconfig(dir), namespaces: [] })
  await sync(config)
  await addUser(s, 'rigel', 'k8s-user@orion')

  let edited = false
  front.before = async (call) => {
    if (edited || call.method !== 'PUT' || !call.url.startsWith(AWS_AUTH)) return
    edited = true
    // Another tool (eksctl, say) adds its entry while our write is on its way.
    const cm = await s.kube.get(AWS_AUTH) as { data: { mapRoles: string } }
    cm.data.mapRoles += '- rolearn: arn:aws:iam::210000000003:role/ci\n  username: ci\n  groups: [system:masters]\n'
    await s.kube.put(AWS_AUTH, cm)
  }
  front.calls.length = 0
  const r = await sync(config)
  t.ok(r.ok, JSON.stringify(r.problems))
  t.ok(edited)
  const touching = front.calls.filter((c) => c.url.startsWith(AWS_AUTH)).map((c) => c.method)
  t.same(touching, ['GET', 'PUT', 'GET', 'PUT'], 'read, conflict, re-read, write')
  const cm = await s.kube.get(AWS_AUTH) as { data: { mapRoles: string }, metadata: { annotations: Record<string, string> } }
  t.equal(cm.data.mapRoles, `${nodes}- rolearn: arn:aws:iam::210000000003:role/ci\n  username: ci\n  groups: [system:masters]\n- rolearn: arn:aws:iam::210000000003:role/rigel\n  username: rigel\n`)
  t.equal(cm.metadata.annotations['bastion/rbacsync-roles'], '["arn:aws:iam::210000000003:role/rigel"]')
  t.equal(r.calls.find((c) => c.api === 'k8s:update configmaps')?.calls, 2)
})

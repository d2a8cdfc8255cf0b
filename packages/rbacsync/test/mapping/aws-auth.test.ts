// Editing aws-auth's mapRoles: ours only, listed in our annotation; others' entries
// keep their place and formatting.
import t from 'tap'
import { AwsAuthInvalid, editAwsAuth, type AwsAuthIntent } from '../../src/mapping/aws-auth.ts'
import type { ConfigMap } from '../../src/kube/objects.ts'

const ARN = (u: string) => `arn:aws:iam::1:role/${u}`
const intent = (users: string[], o: Partial<AwsAuthIntent> = {}): AwsAuthIntent => ({ desired: new Map(users.map((u) => [ARN(u), u])), keep: new Set(), prune: true, ...o })
const cm = (mapRoles: string, owned?: string[], rv = '5'): ConfigMap => ({
  metadata: { name: 'aws-auth', namespace: 'kube-system', resourceVersion: rv, ...(owned !== undefined ? { annotations: { 'bastion/rbacsync-roles': JSON.stringify(owned), other: 'x' } } : {}) },
  data: { mapRoles, mapUsers: '- userarn: u\n' }
})

t.test('no ConfigMap and nobody to map: nothing to write', async (t) => {
  const e = editAwsAuth(undefined, intent([]))
  t.notOk(e.changed)
  t.same(e.configMap.metadata, { namespace: 'kube-system', name: 'aws-auth' })
})

t.test('no ConfigMap: it is created with our entries and the annotation listing them', async (t) => {
  const e = editAwsAuth(undefined, intent(['b', 'a']))
  t.ok(e.changed)
  t.same(e.added, ['a', 'b'])
  t.same(e.configMap, {
    metadata: { namespace: 'kube-system', name: 'aws-auth', annotations: { 'bastion/rbacsync-roles': JSON.stringify([ARN('a'), ARN('b')]) } },
    data: { mapRoles: `- rolearn: ${ARN('a')}\n  username: a\n- rolearn: ${ARN('b')}\n  username: b\n` }
  })
})

t.test('foreign entries, comments and other keys survive; resourceVersion is kept for the write', async (t) => {
  const text = '# nodes\n- rolearn: arn:aws:iam::1:role/nodes # eksctl\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:nodes]\n'
  const e = editAwsAuth(cm(text), intent(['a']))
  t.equal(e.configMap.data?.mapRoles, `${text}- rolearn: ${ARN('a')}\n  username: a\n`)
  t.equal(e.configMap.data?.mapUsers, '- userarn: u\n')
  t.equal(e.configMap.metadata.resourceVersion, '5')
})

t.test('our entry that drifted is rewritten; a duplicate of ours is dropped; unchanged means no write', async (t) => {
  const text = `- rolearn: ${ARN('a')}\n  username: someone-else\n  groups: [system:masters]\n- rolearn: ${ARN('a')}\n  username: a\n`
  const e = editAwsAuth(cm(text, [ARN('a')]), intent(['a']))
  t.same(e.updated, ['a'])
  t.equal(e.configMap.data?.mapRoles, `- rolearn: ${ARN('a')}\n  username: a\n`)
  t.notOk(editAwsAuth(e.configMap, intent(['a'])).changed)
})

t.test('entries we own and nobody needs are removed; with prune off they stay', async (t) => {
  const text = `- rolearn: ${ARN('gone')}\n  username: gone\n- rolearn: ${ARN('kept')}\n  username: kept\n`
  const e = editAwsAuth(cm(text, [ARN('gone'), ARN('kept')]), intent(['kept']))
  t.same(e.removed, ['gone'])
  t.equal(e.configMap.data?.mapRoles, `- rolearn: ${ARN('kept')}\n  username: kept\n`)
  t.equal(e.configMap.metadata.annotations?.['bastion/rbacsync-roles'], JSON.stringify([ARN('kept')]))
  t.equal(e.configMap.metadata.annotations?.other, 'x')
  t.notOk(editAwsAuth(cm(text, [ARN('gone'), ARN('kept')]), intent(['kept'], { prune: false })).changed)
  t.notOk(editAwsAuth(cm(text, [ARN('gone'), ARN('kept')]), intent(['kept'], { keep: new Set([ARN('gone')]) })).changed, 'a frozen user keeps their entry')
})

t.test('a foreign entry for a role we want is a conflict, not an overwrite', async (t) => {
  const text = `- rolearn: ${ARN('a')}\n  username: mallory\n  groups: [system:masters]\n`
  const e = editAwsAuth(cm(text, []), intent(['a']))
  t.same(e.conflicts, [ARN('a')])
  t.notOk(e.changed)
})

t.test('an annotation listing an entry that is gone is tidied', async (t) => {
  const e = editAwsAuth(cm('[]', [ARN('a')]), intent([]))
  t.ok(e.changed)
  t.equal(e.configMap.data?.mapRoles, '[]')
  t.equal(e.configMap.metadata.annotations?.['bastion/rbacsync-roles'], '[]')
})

t.test('a flow-style list turns into a block list when we add to it; entries without a rolearn are foreign', async (t) => {
  const e = editAwsAuth(cm('[{userarn: x}]'), intent(['a']))
  t.equal(e.configMap.data?.mapRoles, `- {userarn: x}\n- rolearn: ${ARN('a')}\n  username: a\n`)
  t.equal(editAwsAuth(cm('   '), intent(['a'])).configMap.data?.mapRoles, `- rolearn: ${ARN('a')}\n  username: a\n`)
  t.equal(editAwsAuth(cm('# only a comment\n'), intent(['a'])).configMap.data?.mapRoles, `# only a comment\n\n- rolearn: ${ARN('a')}\n  username: a\n`)
})

t.test('what cannot be edited safely throws: bad YAML, not a list, a broken annotation', async (t) => {
  t.throws(() => editAwsAuth(cm('- [unclosed'), intent([])), { name: 'AwsAuthInvalid', message: /mapRoles is not valid YAML/ })
  t.throws(() => editAwsAuth(cm('rolearn: x'), intent([])), { message: /mapRoles is not a YAML list/ })
  const bad = cm('[]')
  bad.metadata.annotations = { 'bastion/rbacsync-roles': '{"a":1}' }
  t.throws(() => editAwsAuth(bad, intent([])), AwsAuthInvalid)
  bad.metadata.annotations = { 'bastion/rbacsync-roles': 'not json' }
  t.throws(() => editAwsAuth(bad, intent([])), { message: /is not a JSON list of role ARNs/ })
})

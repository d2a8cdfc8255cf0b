// The EKS bearer token: a presigned STS GetCallerIdentity URL whose signature covers
// the cluster name, as aws-iam-authenticator expects it.
import t from 'tap'
import { eksToken, TOKEN_PREFIX } from '../../src/kube/eks-token.ts'

const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session' })
const decode = (token: string): URL => new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString())

t.test('k8s-aws-v1. + base64url of a GetCallerIdentity URL signed for 60 s over host and x-k8s-aws-id', async (t) => {
  const token = await eksToken('hyades', { region: 'eu-west-1', credentials, now: new Date('2026-01-02T03:04:05Z') })
  t.ok(token.startsWith('k8s-aws-v1.'))
  t.notMatch(token, /[=+/]/, 'base64url without padding')
  const url = decode(token)
  t.equal(url.origin, 'https://sts.eu-west-1.amazonaws.com')
  t.equal(url.pathname, '/')
  const q = url.searchParams
  t.equal(q.get('Action'), 'GetCallerIdentity')
  t.equal(q.get('Version'), '2011-06-15')
  t.equal(q.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256')
  t.equal(q.get('X-Amz-Credential'), 'AKIDEXAMPLE/20260102/eu-west-1/sts/aws4_request')
  t.equal(q.get('X-Amz-Date'), '20260102T030405Z')
  t.equal(q.get('X-Amz-Expires'), '60')
  t.equal(q.get('X-Amz-SignedHeaders'), 'host;x-k8s-aws-id')
  t.equal(q.get('X-Amz-Security-Token'), 'session')
  t.match(q.get('X-Amz-Signature'), /^[0-9a-f]{64}$/)
})

t.test('the signature depends on the cluster name and is deterministic for a fixed time', async (t) => {
  const now = new Date('2026-01-02T03:04:05Z')
  const a = decode(await eksToken('hyades', { region: 'eu-west-1', credentials, now })).searchParams.get('X-Amz-Signature')
  const b = decode(await eksToken('hyades', { region: 'eu-west-1', credentials, now })).searchParams.get('X-Amz-Signature')
  const c = decode(await eksToken('pleiades', { region: 'eu-west-1', credentials, now })).searchParams.get('X-Amz-Signature')
  t.equal(a, b)
  t.not(a, c)
})

t.test('an STS endpoint can be given (an emulator), port included', async (t) => {
  const url = decode(await eksToken('hyades', { region: 'us-east-1', credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }), stsEndpoint: 'http://127.0.0.1:5011' }))
  t.equal(url.origin, 'http://127.0.0.1:5011')
  t.equal(url.searchParams.get('X-Amz-Security-Token'), null)
})

t.test('aws-cn signs against the China partition\'s STS', async (t) => {
  t.equal(decode(await eksToken('hyades', { region: 'cn-north-1', partition: 'aws-cn', credentials })).origin, 'https://sts.cn-north-1.amazonaws.com.cn')
})

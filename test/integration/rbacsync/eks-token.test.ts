// The IAM token rbacsync signs for itself in Lambda (no kubeconfig) is accepted by the
// real aws-iam-authenticator in front of the bed's kube-apiserver, as the token of
// `aws eks get-token` is. (That a token for another cluster fails is STS's doing: the
// signature covers x-k8s-aws-id, which moto does not verify; the unit tests show the
// signature changes with the cluster name.)
import t from 'tap'
import { eksToken } from '@bastion/rbacsync'
import { assumeRole, authnBed, mapRole, tokenUrl, uniqueName, whoami, type KubeResponse } from '../../fixtures/authenticator.ts'

const bed = authnBed()

async function whoamiUntil (token: string, status: number, timeoutMs = 15_000): Promise<KubeResponse> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await whoami(bed, token)
    if (r.status === status || Date.now() > deadline) return r
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

t.test('a token from eksToken authenticates as the role\'s mapped user', async (t) => {
  const role = uniqueName('bt-rbacsync-role')
  const username = uniqueName('bt-rbacsync-user')
  await mapRole(t, bed, role, username)
  const creds = await assumeRole(bed, role, 'rbacsync')
  const credentials = async () => ({ accessKeyId: creds.AWS_ACCESS_KEY_ID!, secretAccessKey: creds.AWS_SECRET_ACCESS_KEY!, sessionToken: creds.AWS_SESSION_TOKEN! })
  const token = await eksToken(bed.clusterId, { region: 'eu-west-1', credentials })
  t.equal(tokenUrl(token).host, 'sts.eu-west-1.amazonaws.com', 'signed for the regional STS, as in AWS')
  const r = await whoamiUntil(token, 201)
  t.equal(r.status, 201, JSON.stringify(r.body))
  t.equal(r.body?.status?.userInfo?.username, username)
  t.same(r.body?.status?.userInfo?.extra?.sessionName, ['rbacsync'])
  t.equal(tokenUrl(token).searchParams.get('X-Amz-SignedHeaders'), 'host;x-k8s-aws-id', 'the authenticator insists on the cluster header being signed')
})

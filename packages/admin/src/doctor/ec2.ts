// The one EC2 question doctor asks, behind a narrow interface so that unit tests give it a
// fake: this instance's metadata options (DescribeInstances, so the host needs
// ec2:DescribeInstances). The real one uses the host's AWS credentials, a deadline on
// every call, and AWS_ENDPOINT_URL_EC2 when set (an emulator in tests).
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2'

export interface MetadataOptions {
  httpTokens: string | undefined
  hopLimit: number | undefined
}

export interface Ec2Api {
  // undefined when EC2 knows no such instance.
  metadataOptions (region: string, instanceId: string): Promise<MetadataOptions | undefined>
}

export function awsEc2 (opts: { timeoutMs: number }): Ec2Api {
  return {
    async metadataOptions (region, instanceId) {
      const client = new EC2Client({ region, maxAttempts: 2, requestHandler: { connectionTimeout: opts.timeoutMs, requestTimeout: opts.timeoutMs, throwOnRequestTimeout: true } })
      try {
        const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: AbortSignal.timeout(opts.timeoutMs) })
        const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId)
        if (instance === undefined) return undefined
        return { httpTokens: instance.MetadataOptions?.HttpTokens, hopLimit: instance.MetadataOptions?.HttpPutResponseHopLimit }
      } catch (err) {
        if ((err as Error).name === 'InvalidInstanceID.NotFound') return undefined
        throw err
      } finally {
        client.destroy()
      }
    }
  }
}

// The EC2 instance's own fail-closed settings, which hold even with every iptables rule of
// ours gone: IMDSv2 required (HttpTokens=required), so there is no metadata without a
// token, and a PUT response hop limit of 1, so a token answer dies on the host's hop to
// a container. Read with ec2:DescribeInstances; a host that is not an EC2 instance is
// skipped, and one whose settings cannot be read says so.
import { ok, problems, skipped, type Check, type Problem } from '../check.ts'
import { ASSET_TAG } from '../instance-id.ts'

export const instanceCheck: Check = {
  name: 'instance',
  summary: 'the EC2 instance requires IMDSv2 with a PUT response hop limit of 1',
  async run (ctx) {
    const id = ctx.ec2InstanceId
    if (id === undefined) return skipped(`not an EC2 instance (no instance id in ${ASSET_TAG}; --ec2-instance-id names one)`)
    const region = ctx.config.proxy.aws.region
    const fix = `aws ec2 modify-instance-metadata-options --region ${region} --instance-id ${id} --http-tokens required --http-put-response-hop-limit 1`
    let options
    try {
      options = await ctx.ec2.metadataOptions(region, id)
    } catch (err) {
      return problems([{
        problem: `the metadata options of ${id} could not be read (${(err as Error).name}: ${(err as Error).message}), so it is unknown whether the instance itself keeps containers from its IMDS`,
        fix: `give the host's role ec2:DescribeInstances (or run doctor with credentials that have it), or check by hand: aws ec2 describe-instances --region ${region} --instance-ids ${id} --query 'Reservations[].Instances[].MetadataOptions'`
      }])
    }
    if (options === undefined) return problems([{ problem: `EC2 in ${region} knows no instance ${id}`, fix: 'check aws.region and --ec2-instance-id' }])
    const found: Problem[] = []
    if (options.httpTokens !== 'required') {
      found.push({ problem: `IMDSv2 is not required on ${id} (HttpTokens=${options.httpTokens ?? 'unknown'}): anything past our rules reads the host's metadata without a token`, fix })
    }
    if (options.hopLimit === undefined || options.hopLimit > 1) {
      found.push({ problem: `the IMDS PUT response hop limit of ${id} is ${options.hopLimit ?? 'unknown'}, not 1: a token answer reaches a container behind the host`, fix })
    }
    return found.length > 0 ? problems(found) : ok(`${id} requires IMDSv2 (HttpTokens=required) with a PUT response hop limit of 1`)
  }
}

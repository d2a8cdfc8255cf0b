// Check `instance`: the EC2 instance's own IMDS settings, read with DescribeInstances.
import t from 'tap'
import { instanceCheck } from '../../../src/doctor/checks/instance.ts'
import type { Ec2Api, MetadataOptions } from '../../../src/doctor/ec2.ts'
import { scratchDir } from '../../setup/fixtures.ts'
import { doctorContext } from '../fixtures.ts'

const ID = 'i-0123456789abcdef0'
const FIX = `aws ec2 modify-instance-metadata-options --region us-east-1 --instance-id ${ID} --http-tokens required --http-put-response-hop-limit 1`

function ec2 (answer: MetadataOptions | undefined | Error): Ec2Api & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    async metadataOptions (region, id) {
      asked.push(`${region} ${id}`)
      if (answer instanceof Error) throw answer
      return answer
    }
  }
}

t.test('IMDSv2 required with a hop limit of 1: ok, asked in the configured region', async (t) => {
  const api = ec2({ httpTokens: 'required', hopLimit: 1 })
  t.same(await instanceCheck.run(doctorContext(scratchDir(t), { ec2: api, ec2InstanceId: ID })), { status: 'ok', detail: `${ID} requires IMDSv2 (HttpTokens=required) with a PUT response hop limit of 1` })
  t.same(api.asked, [`us-east-1 ${ID}`])
})

t.test('tokens optional and a hop limit of 2: one problem each, with the command that fixes both', async (t) => {
  const f = await instanceCheck.run(doctorContext(scratchDir(t), { ec2: ec2({ httpTokens: 'optional', hopLimit: 2 }), ec2InstanceId: ID }))
  t.same(f, { status: 'problems', problems: [
    { problem: `IMDSv2 is not required on ${ID} (HttpTokens=optional): anything past our rules reads the host's metadata without a token`, fix: FIX },
    { problem: `the IMDS PUT response hop limit of ${ID} is 2, not 1: a token answer reaches a container behind the host`, fix: FIX }
  ] })
  const unknown = await instanceCheck.run(doctorContext(scratchDir(t), { ec2: ec2({ httpTokens: undefined, hopLimit: undefined }), ec2InstanceId: ID }))
  t.match(unknown, { status: 'problems', problems: [{ problem: /HttpTokens=unknown/ }, { problem: /is unknown, not 1/ }] })
})

t.test('settings that cannot be read are a problem naming the permission; an unknown instance too', async (t) => {
  const denied = Object.assign(new Error('not authorized to perform: ec2:DescribeInstances'), { name: 'UnauthorizedOperation' })
  const f = await instanceCheck.run(doctorContext(scratchDir(t), { ec2: ec2(denied), ec2InstanceId: ID }))
  t.match(f, { status: 'problems', problems: [{ problem: /could not be read \(UnauthorizedOperation: not authorized/, fix: /ec2:DescribeInstances.*aws ec2 describe-instances --region us-east-1 --instance-ids i-0123456789abcdef0/ }] })
  t.same(await instanceCheck.run(doctorContext(scratchDir(t), { ec2: ec2(undefined), ec2InstanceId: ID })), { status: 'problems', problems: [{ problem: `EC2 in us-east-1 knows no instance ${ID}`, fix: 'check aws.region and --ec2-instance-id' }] })
})

t.test('off EC2 (no instance id): skipped, saying where it looked', async (t) => {
  const api = ec2({ httpTokens: 'required', hopLimit: 1 })
  t.match(await instanceCheck.run(doctorContext(scratchDir(t), { ec2: api })), { status: 'skipped', detail: /not an EC2 instance \(no instance id in \/sys\/devices\/virtual\/dmi\/id\/board_asset_tag/ })
  t.same(api.asked, [])
})

// `bastion doctor`'s instance check against moto's EC2: an instance with IMDSv2 optional
// and a hop limit of 2 gives one problem for each, with the command that fixes both; once
// modified, ok; settings that cannot be read, and a host that is not an EC2 instance, say
// so. (The bed is no EC2 instance, so the instance is named with --ec2-instance-id.)
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EC2Client, ModifyInstanceMetadataOptionsCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2'
import { execa } from 'execa'
import { bedFacts, EMULATOR_ENV } from '../../fixtures/testbed.ts'
import { freePort } from '../../fixtures/proxy.ts'
import { BASTION, NODE } from './host.ts'

const MOTO = bedFacts()('BASTION_TEST_STS_ENDPOINT')
// A config of its own with the defaults for everything else: only the instance line is read.
const region = 'eu-west-1'
const dir = mkdtempSync('/tmp/bt-doctor-instance-')
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const CONFIG = join(dir, 'bastion.yaml')
writeFileSync(CONFIG, `aws:\n  accountId: "123456789012"\n  region: ${region}\n`)
const ec2 = new EC2Client({ region, endpoint: MOTO, credentials: { accessKeyId: EMULATOR_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENV.AWS_SECRET_ACCESS_KEY } })
t.teardown(() => ec2.destroy())

const doctor = (args: string[], endpoint = MOTO) => execa(NODE, [BASTION, '--config', CONFIG, 'doctor', ...args], {
  reject: false,
  timeout: 120_000,
  env: { ...EMULATOR_ENV, NODE_OPTIONS: '', BASTION_CONFIG: '', AWS_ENDPOINT_URL_EC2: endpoint }
})
const lines = (out: string, check: string) => out.split('\n').filter((l) => l.includes(` ${check}: `))

t.test('the instance check reads the metadata options with DescribeInstances', async (t) => {
  const run = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, MetadataOptions: { HttpTokens: 'optional', HttpPutResponseHopLimit: 2 } }))
  const id = run.Instances?.[0]?.InstanceId as string
  t.teardown(() => ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })))
  const fix = `-- fix: aws ec2 modify-instance-metadata-options --region ${region} --instance-id ${id} --http-tokens required --http-put-response-hop-limit 1`

  const loose = await doctor(['--ec2-instance-id', id])
  t.same(lines(loose.stdout, 'instance'), [
    `PROBLEM instance: IMDSv2 is not required on ${id} (HttpTokens=optional): anything past our rules reads the host's metadata without a token ${fix}`,
    `PROBLEM instance: the IMDS PUT response hop limit of ${id} is 2, not 1: a token answer reaches a container behind the host ${fix}`
  ])
  t.equal(loose.exitCode, 1)

  await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpTokens: 'required', HttpPutResponseHopLimit: 1 }))
  t.same(lines((await doctor(['--ec2-instance-id', id])).stdout, 'instance'), [`ok instance: ${id} requires IMDSv2 (HttpTokens=required) with a PUT response hop limit of 1`])

  const gone = await doctor(['--ec2-instance-id', 'i-0000000000000000f'])
  t.same(lines(gone.stdout, 'instance'), [`PROBLEM instance: EC2 in ${region} knows no instance i-0000000000000000f -- fix: check aws.region and --ec2-instance-id`])

  const unread = await doctor(['--ec2-instance-id', id], `http://127.0.0.1:${await freePort()}`)
  t.match(lines(unread.stdout, 'instance'), [/^PROBLEM instance: the metadata options of i-\w+ could not be read \(.*\), so it is unknown .* -- fix: give the host's role ec2:DescribeInstances/])
  t.equal(unread.exitCode, 1)
})

t.test('on a host that is not an EC2 instance the check is skipped', async (t) => {
  const r = await doctor([])
  t.match(lines(r.stdout, 'instance'), [/^skipped instance: not an EC2 instance \(no instance id in \/sys\/devices\/virtual\/dmi\/id\/board_asset_tag/])
})

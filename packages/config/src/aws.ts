// The `aws` section: the account and region every AWS-facing component works in.
import { Type } from '@sinclair/typebox'

export const AwsSection = Type.Object({
  accountId: Type.String({ pattern: '^[0-9]{12}$', description: 'AWS account that holds the per-user IAM roles' }),
  region: Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$', default: 'us-east-1', description: 'Region for STS calls' }),
  partition: Type.String({ default: 'aws', pattern: '^aws(-[a-z-]+)?$', description: 'ARN partition (aws, aws-cn, aws-us-gov)' }),
  stsEndpoint: Type.Optional(Type.String({ pattern: '^https?://', description: 'STS endpoint; default is the regional endpoint. Point it at an emulator in tests' }))
}, { additionalProperties: false })

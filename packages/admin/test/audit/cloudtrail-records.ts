// CloudTrail records shaped as AWS documents them ("CloudTrail record contents" and
// "CloudTrail userIdentity element"): one record per CloudWatch Logs message, as a trail
// delivers to its log group. Used by the unit tests and the integration suite.
export const ACCOUNT = '123456789012'

export interface CallOptions {
  eventName?: string
  eventSource?: string
  awsRegion?: string
  errorCode?: string
  role?: string // the assumed role's name
  session?: string // the role session name
  sourceIdentity?: string | null // null: a session without one
  accessKeyId?: string
  eventID?: string
}

// A call made with an assumed-role session (userIdentity.type AssumedRole).
export function roleCall (time: string, o: CallOptions = {}): Record<string, unknown> {
  const role = o.role ?? 'johnsmith'
  const session = o.session ?? 'johnsmith'
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEROLEID0001:${session}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
      accountId: ACCOUNT,
      accessKeyId: o.accessKeyId ?? 'ASIAEXAMPLEKEY0WFQW',
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEROLEID0001', arn: `arn:aws:iam::${ACCOUNT}:role/k8s-access/${role}`, accountId: ACCOUNT, userName: role },
        attributes: { creationDate: time, mfaAuthenticated: 'false' },
        ...(o.sourceIdentity === null ? {} : { sourceIdentity: o.sourceIdentity ?? 'johnsmith' })
      }
    },
    eventTime: time.replace(/\.\d{3}Z$/, 'Z'),
    eventSource: o.eventSource ?? 's3.amazonaws.com',
    eventName: o.eventName ?? 'ListBuckets',
    awsRegion: o.awsRegion ?? 'eu-west-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12',
    ...(o.errorCode !== undefined ? { errorCode: o.errorCode, errorMessage: 'User is not authorized to perform this operation' } : {}),
    requestParameters: null,
    responseElements: null,
    requestID: 'EXAMPLE0REQUEST0ID',
    eventID: o.eventID ?? `${time}-${o.eventName ?? 'ListBuckets'}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management'
  }
}

// The metadata proxy's AssumeRole for a user: the caller is the host's role, the user is
// in requestParameters.sourceIdentity, and the new key in responseElements.
export function proxyAssumeRole (time: string, user: string, accessKeyId: string, eventID = `${time}-AssumeRole-${user}`): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAHOSTROLEEXAMPLE01:i-0123456789abcdef0',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/bastion-host/i-0123456789abcdef0`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAHOSTKEYEXAMPLE01',
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROAHOSTROLEEXAMPLE01', arn: `arn:aws:iam::${ACCOUNT}:role/bastion-host`, accountId: ACCOUNT, userName: 'bastion-host' },
        attributes: { creationDate: time, mfaAuthenticated: 'false' },
        ec2RoleDelivery: '2.0'
      }
    },
    eventTime: time.replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-sdk-js/3.1174.0',
    requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/k8s-access/${user}`, roleSessionName: user, durationSeconds: 3600, sourceIdentity: user },
    responseElements: {
      credentials: { accessKeyId, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE', expiration: 'Nov 26, 2026, 9:00:00 PM' },
      assumedRoleUser: { assumedRoleId: `AROAEXAMPLEROLEID0001:${user}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${user}/${user}` },
      sourceIdentity: user
    },
    requestID: 'EXAMPLE0REQUEST0ID2',
    eventID,
    readOnly: true,
    resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${ACCOUNT}:role/k8s-access/${user}` }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management'
  }
}

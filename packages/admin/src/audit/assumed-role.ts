// The parts of an STS assumed-role ARN, arn:aws:sts::<account>:assumed-role/<role>/<session>
// (the role's IAM path is not part of it).
const ASSUMED_ROLE = /^arn:[a-z-]+:sts::\d{12}:assumed-role\/([^/]+)\/(.+)$/

export function assumedRoleSession (arn: string): { role: string, session: string } | undefined {
  const m = ASSUMED_ROLE.exec(arn)
  return m === null ? undefined : { role: m[1] as string, session: m[2] as string }
}

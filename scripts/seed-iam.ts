// scripts/local up's seed of the emulator's IAM: the story's people and their groups.
//   node scripts/seed-iam.ts <IAM endpoint> USER=GROUP...
// Creates each IAM user that is missing and puts them in GROUP (which rbacsync made).
// Idempotent: prints one line per change and nothing when there is none. Only ever
// pointed at the local emulator, with its stand-in credentials.
import { AddUserToGroupCommand, CreateUserCommand, GetUserCommand, IAMClient, ListGroupsForUserCommand } from '@aws-sdk/client-iam'

const [endpoint, ...pairs] = process.argv.slice(2)
if (endpoint === undefined || !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(endpoint) || pairs.length === 0) {
  process.stderr.write('usage: node scripts/seed-iam.ts http://127.0.0.1:<port> USER=GROUP...  (the local emulator only)\n')
  process.exit(2)
}

const iam = new IAMClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'AKIABASTIONLOCAL0000', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'bastion-local-secret' }
})

for (const pair of pairs) {
  const [user, group] = pair.split('=')
  if (user === undefined || group === undefined || user === '' || group === '') throw new Error(`not USER=GROUP: ${pair}`)
  const exists = await iam.send(new GetUserCommand({ UserName: user })).then(() => true, (err: { name?: string }) => {
    if (err.name === 'NoSuchEntityException' || err.name === 'NoSuchEntity') return false
    throw err
  })
  if (!exists) {
    await iam.send(new CreateUserCommand({ UserName: user }))
    console.log(`created IAM user ${user}`)
  }
  const groups = (await iam.send(new ListGroupsForUserCommand({ UserName: user }))).Groups ?? []
  if (!groups.some((g) => g.GroupName === group)) {
    await iam.send(new AddUserToGroupCommand({ UserName: user, GroupName: group }))
    console.log(`added ${user} to ${group}`)
  }
}

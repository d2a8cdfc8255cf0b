// scripts/local up's seed of the emulator's IAM: the story's people, their groups and
// their SSH keys, as an admin gives them on AWS.
//   node scripts/seed-iam.ts <IAM endpoint> KEY.pub USER=GROUP...
// Creates each IAM user that is missing, puts them in GROUP (which rbacsync made) and
// uploads the public key KEY.pub as their SSH key (iam:UploadSSHPublicKey), which
// `bastion users sync` serves to sshd. Idempotent: prints one line per change and
// nothing when there is none. Only ever pointed at the local emulator, with its
// stand-in credentials.
import { readFileSync } from 'node:fs'
import {
  AddUserToGroupCommand, CreateUserCommand, GetSSHPublicKeyCommand, GetUserCommand, IAMClient,
  ListGroupsForUserCommand, ListSSHPublicKeysCommand, UploadSSHPublicKeyCommand
} from '@aws-sdk/client-iam'

const [endpoint, keyFile, ...pairs] = process.argv.slice(2)
if (endpoint === undefined || !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(endpoint) || keyFile === undefined || !keyFile.endsWith('.pub') || pairs.length === 0) {
  process.stderr.write('usage: node scripts/seed-iam.ts http://127.0.0.1:<port> KEY.pub USER=GROUP...  (the local emulator only)\n')
  process.exit(2)
}
const key = readFileSync(keyFile, 'utf8').trim()
// "type base64", without the comment: how IAM's copy is compared with the file.
const bare = (k: string): string => k.trim().split(/\s+/).slice(0, 2).join(' ')

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
  const ids = ((await iam.send(new ListSSHPublicKeysCommand({ UserName: user }))).SSHPublicKeys ?? []).map((k) => k.SSHPublicKeyId as string)
  const bodies = await Promise.all(ids.map(async (id) => (await iam.send(new GetSSHPublicKeyCommand({ UserName: user, SSHPublicKeyId: id, Encoding: 'SSH' }))).SSHPublicKey?.SSHPublicKeyBody ?? ''))
  if (!bodies.some((b) => bare(b) === bare(key))) {
    await iam.send(new UploadSSHPublicKeyCommand({ UserName: user, SSHPublicKeyBody: key }))
    console.log(`uploaded ${keyFile} as an SSH key of ${user}`)
  }
}

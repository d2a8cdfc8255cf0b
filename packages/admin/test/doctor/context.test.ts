// The real doctor context: config, paths (of an install.sh instance) and the sshd_config
// to check.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { doctorContext } from '../../src/doctor/context.ts'
import { CONFIG_TEXT, scratchDir } from '../setup/fixtures.ts'

t.test("the sshd_config is the root's unless --sshd-config names one", async (t) => {
  const dir = scratchDir(t)
  const config = join(dir, 'bastion.yaml')
  writeFileSync(config, CONFIG_TEXT)
  const ctx = await doctorContext({ config, root: dir })
  t.equal(ctx.sshdConfig, join(dir, 'etc/ssh/sshd_config'))
  t.equal(ctx.paths.sshdDropin, join(dir, 'etc/ssh/sshd_config.d/bastion.conf'))
  t.equal(ctx.paths.shell.bin, join(dir, 'usr/local/bin/bastion-shell'))
  t.equal((await doctorContext({ config, instance: 'testbed' })).paths.installed.agent, '/usr/local/libexec/bastion/bastion-agent-testbed', "--instance: that copy's files")
  t.equal((await doctorContext({ config, sshdConfig: '/etc/other/sshd_config' })).sshdConfig, '/etc/other/sshd_config')
  t.equal((await doctorContext({}, { BASTION_CONFIG: config })).sshdConfig, '/etc/ssh/sshd_config')
  t.equal(typeof ctx.eks.describeCluster, 'function')
  // The Docker probe it hands out is the real one, on the socket asked for.
  await t.rejects(ctx.docker(join(dir, 'no-docker.sock')).ping(), { code: 'ENOENT' })
  t.match(await ctx.probe.connect(join(dir, 'no-broker.sock'), { timeoutMs: 1000 }), { code: 'ENOENT' }, 'the real probe')
})

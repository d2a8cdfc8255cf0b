// The production Dockerfile cannot be built on a machine that reaches no download site,
// so what can be checked without one is checked here: BuildKit's own Dockerfile front
// end and linter (what `docker build --check` runs) find nothing in either Dockerfile;
// every download is pinned by version and sha256 and goes through fetch-verified.sh;
// fetch-verified.sh itself keeps a file only when its sum matches (run for real against
// a local server); and the production image ends with the same steps as the offline
// one, whose image tools.test.ts checks.
import t from 'tap'
import { createServer } from 'node:http'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { bedFacts } from '../../fixtures/testbed.ts'
import { IMAGES_TOOLBOX } from '../../fixtures/toolbox.ts'

const PRODUCTION = join(IMAGES_TOOLBOX, 'Dockerfile')
const OFFLINE = join(IMAGES_TOOLBOX, 'Dockerfile.offline')
const FETCH = join(IMAGES_TOOLBOX, 'fetch-verified.sh')

// Instructions with their continuation lines joined, comments dropped.
function instructions (file: string): string[] {
  const out: string[] = []
  let current = ''
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (current === '' && /^\s*(#|$)/.test(line)) continue
    current += line.replace(/\\$/, ' ')
    if (!line.endsWith('\\')) { out.push(current.replace(/\s+/g, ' ').trim()); current = '' }
  }
  return out
}

t.test("BuildKit's Dockerfile front end and linter find nothing in either Dockerfile", async (t) => {
  const check = bedFacts()('BASTION_TEST_DOCKERFILE_CHECK')
  for (const [file, args] of [[PRODUCTION, []], [OFFLINE, ['--build-arg', 'BASE=bastion/debian:bookworm']]] as const) {
    const r = await execa(check, [...args, file], { reject: false })
    t.equal(r.exitCode, 0, `${file}: ${r.stdout}${r.stderr}`)
    t.same(JSON.parse(r.stdout), { warnings: [] })
  }
  const broken = join(t.testdir({ Dockerfile: 'FROM debian as base\nRUNN true\n' }), 'Dockerfile')
  const bad = await execa(check, [broken], { reject: false })
  t.equal(bad.exitCode, 1, 'and it does find a broken one')
  t.match(JSON.parse(bad.stdout), { error: /unknown instruction: RUNN/ })
})

t.test('every download is pinned: a version and a lowercase sha256 per artifact, checked by fetch-verified', async (t) => {
  const ins = instructions(PRODUCTION)
  const args = new Map(ins.filter((i) => i.startsWith('ARG ')).map((i) => i.slice(4).split('=') as [string, string]))
  const sums = [...args].filter(([k]) => k.endsWith('_SHA256'))
  t.same(sums.map(([k]) => k).sort(), ['AWSCLI_SHA256', 'K9S_SHA256', 'KUBECTL_SHA256', 'KUBECTX_SHA256', 'KUBENS_SHA256'])
  for (const [k, v] of sums) t.match(v, /^[0-9a-f]{64}$/, `${k} is a sha256`)
  t.equal(new Set(sums.map(([, v]) => v)).size, sums.length, 'each artifact has its own sum')
  for (const k of ['KUBECTL_VERSION', 'K9S_VERSION', 'KUBECTX_VERSION', 'AWSCLI_VERSION']) t.match(args.get(k), /^v?\d+\.\d+\.\d+$/, `${k} is an exact version`)

  const run = ins.filter((i) => i.startsWith('RUN ')).join('\n')
  const fetches = [...run.matchAll(/fetch-verified "([^"]+)" "\$\{([A-Z0-9_]+)\}" (\S+)/g)]
  t.same(fetches.map((f) => f[2]).sort(), sums.map(([k]) => k).sort(), 'every pinned sum is used by one download, and every download has one')
  for (const [, url, sum] of fetches) {
    t.match(url, /^https:\/\//, `${url} is https`)
    const version = (sum as string).replace('KUBENS_', 'KUBECTX_').replace('_SHA256', '_VERSION')
    t.ok(url?.includes(`\${${version}}`), `${url} names its pinned ${version}`)
  }
  const others = run.replace(/fetch-verified "[^"]+"/g, '')
  t.notMatch(others, /\b(curl|wget)\s+-/, 'curl and wget run nowhere else')
  t.notMatch(others, /https?:\/\//, 'no other URL appears')
  t.notMatch(run, /\|\s*(sh|bash)\b/, 'nothing is piped into a shell')
})

t.test('the base images are pinned, never latest, and the final stage names the versions it holds', async (t) => {
  const ins = instructions(PRODUCTION)
  t.match(ins.find((i) => i.startsWith('ARG BASE=')), /^ARG BASE=debian:bookworm-\d{8}-slim$/, 'a dated Debian 12 tag')
  t.notMatch(readFileSync(PRODUCTION, 'utf8'), /:latest\b/)
  const froms = ins.filter((i) => i.startsWith('FROM '))
  t.same(froms, ['FROM ${BASE} AS downloads', 'FROM ${BASE}'])
  const label = ins.find((i) => i.includes('bastion.toolbox.tools='))
  t.match(label, 'kubectl=${KUBECTL_VERSION} k9s=${K9S_VERSION} kubectx=${KUBECTX_VERSION} aws-cli=${AWSCLI_VERSION}')
  const final = ins.slice(ins.lastIndexOf('FROM ${BASE}'))
  const declared = (k: string): string | undefined => ins.find((i) => i.startsWith(`ARG ${k}=`))
  for (const k of ['KUBECTL_VERSION', 'K9S_VERSION', 'KUBECTX_VERSION', 'AWSCLI_VERSION']) {
    t.equal(final.find((i) => i.startsWith(`ARG ${k}=`)), declared(k), `the label's ${k} is the downloaded one`)
  }
})

t.test('both images end with the same steps: the shared rootfs, completion and setup.sh, BASH_ENV, the non-root user', async (t) => {
  const tail = (file: string): string[] => { const i = instructions(file); return i.slice(i.indexOf('COPY rootfs/ /')) }
  t.same(tail(PRODUCTION), tail(OFFLINE))
  t.same(tail(OFFLINE), [
    'COPY rootfs/ /',
    'COPY completion/ /tmp/toolbox/completion/',
    'COPY setup.sh /tmp/toolbox/setup.sh',
    'RUN sh /tmp/toolbox/setup.sh && rm -rf /tmp/toolbox',
    'ENV BASH_ENV=/usr/local/lib/bastion/kube-seed.sh',
    'USER toolbox',
    'WORKDIR /home/toolbox',
    'CMD ["bash", "-l"]'
  ])
  for (const i of instructions(PRODUCTION).filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
    const src = i.split(' ')[1] as string
    t.ok(existsSync(join(IMAGES_TOOLBOX, src)), `${src} is in images/toolbox`)
  }
  const pkgs = (file: string): string[] => (instructions(file).find((i) => i.includes('openssh-sftp-server')) ?? '').split(' ').filter((w) => /^[a-z][a-z0-9.+-]+$/.test(w))
  for (const p of ['bash', 'bash-completion', 'curl', 'jq', 'less', 'vim-tiny', 'openssh-sftp-server', 'rsync', 'tmux', 'procps']) {
    t.ok(pkgs(PRODUCTION).includes(p) && pkgs(OFFLINE).includes(p), `both install ${p}`)
  }
})

t.test('fetch-verified.sh keeps a download only when its sha256 matches, and leaves nothing otherwise', async (t) => {
  const body = Buffer.from('#!/bin/sh\necho pretend kubectl\n')
  const good = createHash('sha256').update(body).digest('hex')
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    if (req.url === '/kubectl') res.end(body)
    else { res.statusCode = 404; res.end('no') }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const dir = t.testdir({})
  const fetch = (url: string, sum: string, out: string, env: Record<string, string> = { FETCH_ALLOW_HTTP: '1' }) =>
    execa('sh', [FETCH, url, sum, join(dir, out)], { reject: false, env, extendEnv: true })

  const ok = await fetch(`${base}/kubectl`, good, 'kubectl')
  t.equal(ok.exitCode, 0, ok.stderr)
  t.same(readFileSync(join(dir, 'kubectl')), body)

  const bad = await fetch(`${base}/kubectl`, 'f'.repeat(64), 'tampered')
  t.equal(bad.exitCode, 1)
  t.match(bad.stderr, new RegExp(`has sha256 ${good}, expected f{64}`))
  const missing = await fetch(`${base}/nothing`, good, 'missing')
  t.equal(missing.exitCode, 1)
  t.match(missing.stderr, /download of .* failed/)
  t.same(readdirSync(dir), ['kubectl'], 'no file and no partial file is left by a failure')

  t.equal((await fetch(`${base}/kubectl`, 'ABC', 'x')).exitCode, 2, 'a malformed sum is refused before any download')
  t.equal((await fetch(`${base}/kubectl`, good.toUpperCase(), 'x')).exitCode, 2)
  const before = requests.length
  const plain = await fetch(`${base}/kubectl`, good, 'plain', {})
  t.equal(plain.exitCode, 1, 'plain http is refused unless the test allows it')
  t.equal(requests.length, before, 'and no request was even sent')
  t.same(readdirSync(dir), ['kubectl'])
})

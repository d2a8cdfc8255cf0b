// The one canonical form of a request target, and the targets that have none.
import t from 'tap'
import { canonicalize } from '../../src/imds/paths.ts'

t.test('latest and dated versions are recognised', async (t) => {
  t.same(canonicalize('/latest/meta-data/instance-id'), { version: 'latest', segments: ['meta-data', 'instance-id'], trailingSlash: false, joined: 'meta-data/instance-id' })
  t.same(canonicalize('/2016-09-02/meta-data/iam/info'), { version: '2016-09-02', segments: ['meta-data', 'iam', 'info'], trailingSlash: false, joined: 'meta-data/iam/info' })
  t.same(canonicalize('/latest'), { version: 'latest', segments: [], trailingSlash: false, joined: '' })
})

t.test('anything else in the version position is refused', async (t) => {
  for (const url of ['/', '', '/meta-data/iam/info', '/LATEST/meta-data', '/2016-9-2/meta-data', '/1.0/meta-data', '/latest-x/meta-data']) {
    t.equal(canonicalize(url), null, url)
  }
})

t.test('a target that is not an absolute path is refused', async (t) => {
  t.equal(canonicalize('latest/meta-data'), null)
  t.equal(canonicalize('http://169.254.169.254/latest/meta-data'), null)
  t.equal(canonicalize('*'), null)
})

t.test('duplicate slashes are collapsed', async (t) => {
  const p = canonicalize('//latest///meta-data//iam////security-credentials/dev')
  t.same(p?.segments, ['meta-data', 'iam', 'security-credentials', 'dev'])
  t.equal(p?.version, 'latest')
  t.equal(p?.joined ?? null, 'meta-data/iam/security-credentials/dev')
})

t.test('a trailing slash is reported, and does not add a segment', async (t) => {
  t.same(canonicalize('/latest/meta-data/iam/security-credentials/'), { version: 'latest', segments: ['meta-data', 'iam', 'security-credentials'], trailingSlash: true, joined: 'meta-data/iam/security-credentials' })
  t.same(canonicalize('/latest/meta-data//'), { version: 'latest', segments: ['meta-data'], trailingSlash: true, joined: 'meta-data' })
  t.same(canonicalize('/latest/'), { version: 'latest', segments: [], trailingSlash: true, joined: '' })
  t.equal(canonicalize('/latest/meta-data')?.trailingSlash, false)
})

t.test('segments are percent-decoded exactly once', async (t) => {
  t.same(canonicalize('/latest/meta-%64ata/%69nstance-id')?.segments, ['meta-data', 'instance-id'])
  t.same(canonicalize('/%6catest/meta-data')?.version, 'latest')
  t.same(canonicalize('/latest/meta-data/iam/security-credentials/dev%2Bops')?.segments, ['meta-data', 'iam', 'security-credentials', 'dev+ops'])
})

t.test('dot segments are refused, plain or encoded', async (t) => {
  for (const url of [
    '/latest/./meta-data', '/latest/meta-data/../user-data', '/latest/meta-data/..',
    '/latest/%2e/meta-data', '/latest/%2e%2e/user-data', '/latest/meta-data/.%2e/user-data', '/latest/%2E%2E'
  ]) t.equal(canonicalize(url), null, url)
  t.same(canonicalize('/latest/meta-data/...')?.segments, ['meta-data', '...'], 'three dots are just a name')
})

t.test('encoded slashes and backslashes are refused', async (t) => {
  for (const url of [
    '/latest/meta-data%2fiam/info', '/latest/meta-data%2Fiam%2Finfo', '/latest%2fmeta-data',
    '/latest/meta-data\\iam', '/latest/meta-data%5ciam', '/latest/meta-data%5Ciam'
  ]) t.equal(canonicalize(url), null, url)
})

t.test('double encoding is refused rather than decoded twice', async (t) => {
  for (const url of ['/latest/meta-data%252fiam', '/latest/%252e%252e/user-data', '/latest/meta-data/%2525', '/latest/meta-data/%25']) {
    t.equal(canonicalize(url), null, url)
  }
})

t.test('control characters, NUL and other unsafe characters are refused', async (t) => {
  for (const url of [
    '/latest/meta-data%00', '/latest/meta-data/\u0000', '/latest/meta-data%0a', '/latest/meta-data%20',
    '/latest/meta-data/a b', '/latest/meta-data/é', '/latest/meta-data/%C3%A9', '/latest/meta-data/:', '/latest/meta-data/~'
  ]) t.equal(canonicalize(url), null, JSON.stringify(url))
})

t.test('malformed escapes are refused', async (t) => {
  for (const url of ['/latest/meta-data%', '/latest/meta-data%zz', '/latest/%E0%A4%A', '/latest/meta-data/%C0%AF', '/latest/%ff']) {
    t.equal(canonicalize(url), null, url)
  }
})

t.test('targets longer than 2048 characters are refused', async (t) => {
  const base = '/latest/meta-data/'
  const fits = base + 'a'.repeat(2048 - base.length)
  t.equal(fits.length, 2048)
  t.same(canonicalize(fits)?.segments, ['meta-data', 'a'.repeat(2048 - base.length)])
  t.equal(canonicalize(fits + 'a'), null)
  t.equal(canonicalize('/latest/' + 'meta-data/'.repeat(1000)), null)
})

t.test('query strings and fragments are ignored', async (t) => {
  t.same(canonicalize('/latest/meta-data/iam/info?x=1&y=%2f..'), { version: 'latest', segments: ['meta-data', 'iam', 'info'], trailingSlash: false, joined: 'meta-data/iam/info' })
  t.same(canonicalize('/latest/meta-data/?x'), { version: 'latest', segments: ['meta-data'], trailingSlash: true, joined: 'meta-data' })
  t.same(canonicalize('/latest/meta-data#/../user-data')?.segments, ['meta-data'])
  t.same(canonicalize('/latest/meta-data/iam/security-credentials/dev?/../../user-data')?.segments, ['meta-data', 'iam', 'security-credentials', 'dev'])
})

t.test('joined gives the segments below the version', async (t) => {
  t.equal(canonicalize('/latest/')?.joined, '')
  t.equal(canonicalize('/latest/dynamic//instance-identity/document')?.joined, 'dynamic/instance-identity/document')
})

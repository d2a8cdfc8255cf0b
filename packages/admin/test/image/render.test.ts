// What `bastion image status` prints: the configured image, one row per user container,
// and who is on an old image.
import t from 'tap'
import { megabytes, renderStatus } from '../../src/image/render.ts'
import type { ImageStatus } from '../../src/image/status.ts'

const ID = (c: string): string => `sha256:${c.repeat(64)}`

t.test('sizes are in megabytes', async (t) => {
  t.equal(megabytes(612_345_678), '612 MB')
})

t.test('a row per container, OLD for an outdated one, and the users to expect a recreation for', async (t) => {
  const s: ImageStatus = {
    configured: { ref: 'bastion/toolbox:new', image: { id: ID('a'), tags: ['bastion/toolbox:new'], labels: {}, size: 600e6, created: '' } },
    containers: [
      { id: 'c1', name: 'shell-alice-1', user: 'alice', imageId: ID('a'), state: 'running', liveSessions: 0, current: true, imageNames: ['bastion/toolbox:new'] },
      { id: 'c2', name: 'shell-bob-2', user: 'bob', imageId: ID('b'), state: 'running', liveSessions: 2, current: false, imageNames: [] }
    ],
    outdatedUsers: ['bob']
  }
  t.equal(renderStatus(s), [
    'configured image: bastion/toolbox:new (sha256:aaaaaaaaaaaa, 600 MB)',
    'USER   CONTAINER      STATE    SESSIONS  IMAGE    IMAGE ID',
    'alice  shell-alice-1  running  0         current  sha256:aaaaaaaaaaaa bastion/toolbox:new',
    'bob    shell-bob-2    running  2         OLD      sha256:bbbbbbbbbbbb',
    '1 user on an old image (bob): recreated at the next login with no live session',
    ''
  ].join('\n'))
})

t.test('everyone current, nobody at all, and a configured image that is missing', async (t) => {
  const base: ImageStatus = { configured: { ref: 'x:1', image: undefined }, containers: [], outdatedUsers: [] }
  t.equal(renderStatus(base), 'configured image: x:1 (NOT in Docker on this host)\nno user containers\n')
  const one = { ...base, containers: [{ id: 'c', name: 'n', user: 'u', imageId: ID('a'), state: 'exited', liveSessions: 0, current: true, imageNames: [] }] }
  t.match(renderStatus(one), /every user runs the configured image\n$/)
  t.match(renderStatus({ ...one, outdatedUsers: ['u', 'v'] }), /2 users on an old image \(u, v\)/)
})

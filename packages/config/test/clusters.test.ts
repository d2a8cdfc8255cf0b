// The shared `clusters` list: its schema and the checks the schema cannot say.
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { ClustersSection, ConfigProblem, clusterProblems, parseConfigText } from '../src/index.ts'

const Schema = Type.Object({ clusters: ClustersSection }, { additionalProperties: false })

const problems = (text: string): string[] => {
  try { parseConfigText(Schema, text) } catch (err) { return err instanceof ConfigProblem ? err.problems : ['not a ConfigProblem'] }
  return []
}

t.test('a cluster needs a name and a region; endpoint and CA are optional', async (t) => {
  const c = parseConfigText(Schema, 'clusters:\n  - {name: hyades, region: eu-west-1}\n')
  t.same(c.clusters, [{ name: 'hyades', region: 'eu-west-1' }])
  t.same(parseConfigText(Schema, '').clusters, [])
})

t.test('a cluster name with @ or a leading dash is refused by key path', async (t) => {
  t.match(problems('clusters:\n  - {name: "a@b", region: eu-west-1}\n'), [/^clusters\.0\.name: /])
  t.match(problems('clusters:\n  - {name: "-a", region: eu-west-1}\n'), [/^clusters\.0\.name: /])
  t.same(problems('clusters:\n  - {name: a, region: eu-west-1, colour: red}\n'), ['clusters.0.colour: unknown key'])
})

t.test('clusterProblems: a name listed twice, an endpoint without its CA', async (t) => {
  t.same(clusterProblems([{ name: 'a', region: 'eu-west-1' }, { name: 'b', region: 'eu-west-1', endpoint: 'https://x', certificateAuthority: 'QUJD' }]), [])
  t.same(clusterProblems([{ name: 'a', region: 'eu-west-1' }, { name: 'a', region: 'us-east-1' }]), ['clusters.1.name: cluster "a" is listed twice'])
  t.match(clusterProblems([{ name: 'a', region: 'eu-west-1', endpoint: 'https://x' }]), [/^clusters\.0: endpoint and certificateAuthority go together/])
})

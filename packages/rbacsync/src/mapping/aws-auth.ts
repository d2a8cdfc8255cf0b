// Edits kube-system/aws-auth's mapRoles: adds, updates and removes only the entries we
// own, which an annotation on the ConfigMap lists by role ARN. Every other entry
// (node roles, other tools, hand-made ones) keeps its place and even its formatting:
// the YAML is edited as a document, not re-serialised from data.
import { Document, isMap, isSeq, parseDocument, type YAMLSeq } from 'yaml'
import { AWS_AUTH_OWNED_ANNOTATION } from '../model/marks.ts'
import type { ConfigMap } from '../kube/objects.ts'

export const AWS_AUTH = { namespace: 'kube-system', name: 'aws-auth' } as const

export interface AwsAuthIntent {
  // rolearn (without path) -> Kubernetes username, for every user to map.
  desired: ReadonlyMap<string, string>
  // Entries of users the run must not change (a limit was hit): left as they are.
  keep: ReadonlySet<string>
  // False after a failed read: entries are added, never removed.
  prune: boolean
}

export interface AwsAuthEdit {
  changed: boolean
  configMap: ConfigMap
  added: string[]
  updated: string[]
  removed: string[]
  // Role ARNs we want to map that an entry we do not own already maps.
  conflicts: string[]
}

export class AwsAuthInvalid extends Error {
  constructor (message: string) {
    super(`kube-system/aws-auth: ${message}`)
    this.name = 'AwsAuthInvalid'
  }
}

export function editAwsAuth (current: ConfigMap | undefined, intent: AwsAuthIntent): AwsAuthEdit {
  const text = current?.data?.mapRoles ?? ''
  const doc = text.trim() === '' ? new Document([]) : parseDocument(text)
  if (doc.errors.length > 0) throw new AwsAuthInvalid(`mapRoles is not valid YAML: ${doc.errors[0]?.message ?? ''}`)
  if (doc.contents === null) doc.contents = doc.createNode([]) as never
  if (!isSeq(doc.contents)) throw new AwsAuthInvalid('mapRoles is not a YAML list')
  const seq = doc.contents as YAMLSeq
  const owned = ownedArns(current)
  const result: AwsAuthEdit = { changed: false, configMap: { metadata: {} }, added: [], updated: [], removed: [], conflicts: [] }
  const foreign = new Set<string>()
  const seen = new Set<string>()
  const stillOurs = new Set<string>()
  let modified = false
  for (let i = 0; i < seq.items.length; i++) {
    const node = seq.items[i]
    const arn = isMap(node) ? node.get('rolearn') : undefined
    if (typeof arn !== 'string') continue
    if (!owned.has(arn)) { foreign.add(arn); continue }
    const username = intent.desired.get(arn)
    if (username !== undefined && !seen.has(arn)) {
      seen.add(arn)
      stillOurs.add(arn)
      const entry = (node as { toJSON (): Record<string, unknown> }).toJSON()
      if (entry.username !== username || Object.keys(entry).some((k) => k !== 'rolearn' && k !== 'username')) {
        seq.items[i] = doc.createNode({ rolearn: arn, username })
        result.updated.push(username)
        modified = true
      }
    } else if (intent.keep.has(arn) || (!intent.prune && username === undefined)) {
      stillOurs.add(arn)
    } else {
      // Not wanted any more, or a second entry of a role we already map.
      seq.items.splice(i--, 1)
      if (username === undefined) result.removed.push(arnName(arn))
      modified = true
    }
  }
  for (const [arn, username] of [...intent.desired].sort(([a], [b]) => a.localeCompare(b))) {
    if (seen.has(arn)) continue
    if (foreign.has(arn)) { result.conflicts.push(arn); continue }
    seq.items.push(doc.createNode({ rolearn: arn, username }))
    stillOurs.add(arn)
    result.added.push(username)
    modified = true
  }
  if (seq.flow === true && seq.items.length > 0) { seq.flow = false; modified = true }
  const ownedAfter = JSON.stringify([...stillOurs].sort())
  const annotations = current?.metadata.annotations ?? {}
  const annotationChanged = (annotations[AWS_AUTH_OWNED_ANNOTATION] ?? '[]') !== ownedAfter
  result.changed = modified || annotationChanged
  if (!result.changed) {
    result.configMap = current ?? { metadata: { ...AWS_AUTH } }
    return result
  }
  const metadata = current === undefined ? { ...AWS_AUTH } : { ...current.metadata }
  result.configMap = {
    metadata: { ...metadata, annotations: { ...annotations, [AWS_AUTH_OWNED_ANNOTATION]: ownedAfter } },
    data: { ...current?.data, mapRoles: modified ? doc.toString({ lineWidth: 0, flowCollectionPadding: false }) : text }
  }
  return result
}

function ownedArns (cm: ConfigMap | undefined): Set<string> {
  const raw = cm?.metadata.annotations?.[AWS_AUTH_OWNED_ANNOTATION]
  if (raw === undefined) return new Set()
  let list: unknown
  try { list = JSON.parse(raw) } catch { list = undefined }
  if (!Array.isArray(list) || list.some((a) => typeof a !== 'string')) {
    throw new AwsAuthInvalid(`the annotation ${AWS_AUTH_OWNED_ANNOTATION} is not a JSON list of role ARNs`)
  }
  return new Set(list as string[])
}

function arnName (arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1)
}

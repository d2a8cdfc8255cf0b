// Making an image the configured one: shell.image in /etc/bastion/bastion.yaml is
// rewritten in place. The YAML Document API finds the value's exact place in the text,
// and only those bytes change, so every comment, blank line and alignment survives.
// The result must parse to the same config with just shell.image changed, and pass the
// same schema the login shell uses, or nothing is written.
import { isDeepStrictEqual } from 'node:util'
import { stat } from 'node:fs/promises'
import { isMap, isScalar, parseDocument, stringify } from 'yaml'
import { writeAtomically } from '../kubeconfig/atomic-write.ts'
import { parseToolboxConfig } from './config.ts'
import { imageError } from './errors.ts'

export function withShellImage (text: string, ref: string): string {
  const doc = parseDocument(text, { uniqueKeys: true })
  const value = stringify(ref).trimEnd()
  const shell = doc.get('shell', true)
  let out: string | undefined
  if (shell === undefined && !doc.has('shell')) {
    out = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}\nshell:\n  image: ${value}\n`
  } else if (isMap(shell) && shell.flow !== true && shell.range !== undefined && shell.range !== null) {
    const node = shell.get('image', true)
    if (isScalar(node) && node.range !== undefined && node.range !== null) {
      out = text.slice(0, node.range[0]) + value + text.slice(node.range[1])
    } else if (node === undefined && !shell.has('image')) {
      const start = shell.range[0]
      const lineStart = text.lastIndexOf('\n', start - 1) + 1
      const indent = text.slice(lineStart, start)
      if (/^ +$/.test(indent)) out = `${text.slice(0, lineStart)}${indent}image: ${value}\n${text.slice(lineStart)}`
    }
  }
  if (out === undefined) {
    // An unusual shape (a flow map, an empty `shell:`): let the library write the file.
    if (isMap(shell)) doc.setIn(['shell', 'image'], ref)
    else doc.set('shell', doc.createNode({ image: ref }))
    out = String(doc)
  }
  const before = parseDocument(text).toJS() as Record<string, unknown> | null
  const after = parseDocument(out).toJS() as Record<string, unknown> | null
  const expected = { ...(before ?? {}), shell: { ...((before?.shell as Record<string, unknown> | null | undefined) ?? {}), image: ref } }
  if (!isDeepStrictEqual(after, expected)) throw new Error('the edited file would not read back as the same config with the new shell.image')
  return out
}

// true when the file changed.
export async function setConfiguredImage (path: string, text: string, ref: string): Promise<boolean> {
  let next: string
  try {
    next = withShellImage(text, ref)
    parseToolboxConfig(next, path)
  } catch (err) {
    throw imageError('BASTION_ADMIN_IMAGE_CONFIG_WRITE_FAILED', `cannot set shell.image to ${ref} in ${path}: ${(err as Error).message}`, err)
  }
  if (next === text) return false
  try {
    const st = await stat(path)
    await writeAtomically(path, next, st.mode & 0o7777, { uid: st.uid, gid: st.gid })
  } catch (err) {
    throw imageError('BASTION_ADMIN_IMAGE_CONFIG_WRITE_FAILED', `cannot write ${path}: ${(err as Error).message}`, err)
  }
  return true
}

// Our narrow interface to one cluster's Kubernetes API (KubePort) and its adapter over
// the HTTP transport. Lists page with limit/continue; a failure on any page fails the
// whole list, so the caller never sees half a list. Updates carry resourceVersion and
// deletes carry uid and resourceVersion preconditions: an object changed or replaced
// since it was read is not overwritten.
import { discover } from './discovery.ts'
import { check, KubeApiError, type KubeRequest, type KubeTransport } from './http.ts'
import type { ApiResource } from '../model/tiers.ts'
import type { ConfigMap, NamespaceInfo, RbacKind, RbacObject } from './objects.ts'

export interface KubePort {
  discover (): Promise<ApiResource[]>
  // Namespaces that are not being deleted, sorted by name.
  listNamespaces (): Promise<NamespaceInfo[]>
  list (kind: RbacKind): Promise<RbacObject[]>
  create (obj: RbacObject): Promise<void>
  replace (obj: RbacObject): Promise<void>
  remove (obj: RbacObject): Promise<void>
  getConfigMap (namespace: string, name: string): Promise<ConfigMap | undefined>
  // Creates it when it has no resourceVersion; a 409 throws a KubeApiError with status 409.
  writeConfigMap (cm: ConfigMap): Promise<void>
}

const RBAC = '/apis/rbac.authorization.k8s.io/v1'
const PLURAL: Record<RbacKind, string> = { ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', Role: 'roles', RoleBinding: 'rolebindings' }

function collection (kind: RbacKind, namespace?: string): string {
  return namespace === undefined ? `${RBAC}/${PLURAL[kind]}` : `${RBAC}/namespaces/${encodeURIComponent(namespace)}/${PLURAL[kind]}`
}

export function kubeApi (http: KubeTransport, pageSize: number): KubePort {
  const call = async (req: KubeRequest): Promise<unknown> => check(req, await http(req))
  const listAll = async <T>(path: string, api: string): Promise<T[]> => {
    const items: T[] = []
    let token: string | undefined
    do {
      const query = new URLSearchParams({ limit: String(pageSize) })
      if (token !== undefined) query.set('continue', token)
      const page = await call({ method: 'GET', path: `${path}?${query}`, api }) as { items?: T[], metadata?: { continue?: string } }
      items.push(...(page?.items ?? []))
      token = page?.metadata?.continue !== undefined && page.metadata.continue !== '' ? page.metadata.continue : undefined
    } while (token !== undefined)
    return items
  }
  const body = (o: RbacObject): unknown => ({ apiVersion: 'rbac.authorization.k8s.io/v1', ...o })
  const itemPath = (o: RbacObject): string => `${collection(o.kind, o.metadata.namespace)}/${encodeURIComponent(o.metadata.name ?? '')}`
  return {
    discover: () => discover(http),
    async listNamespaces () {
      const items = await listAll<{ metadata?: { name?: string, uid?: string, creationTimestamp?: string }, status?: { phase?: string } }>('/api/v1/namespaces', 'list namespaces')
      return items.filter((n) => n.status?.phase !== 'Terminating')
        .map((n) => ({ name: n.metadata?.name ?? '', uid: n.metadata?.uid ?? '', ...(n.metadata?.creationTimestamp !== undefined ? { created: n.metadata.creationTimestamp } : {}) }))
        .filter((n) => n.name !== '').sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    },
    async list (kind) {
      const items = await listAll<RbacObject>(collection(kind), `list ${PLURAL[kind]}`)
      return items.map((o) => ({ ...o, kind }))
    },
    async create (o) {
      await call({ method: 'POST', path: collection(o.kind, o.metadata.namespace), body: body(o), api: `create ${PLURAL[o.kind]}` })
    },
    async replace (o) {
      await call({ method: 'PUT', path: itemPath(o), body: body(o), api: `update ${PLURAL[o.kind]}` })
    },
    async remove (o) {
      const preconditions = { uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion }
      await call({ method: 'DELETE', path: itemPath(o), body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions }, api: `delete ${PLURAL[o.kind]}` })
    },
    async getConfigMap (namespace, name) {
      const req: KubeRequest = { method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`, api: 'get configmaps' }
      const res = await http(req)
      if (res.status === 404) return undefined
      return check(req, res) as ConfigMap
    },
    async writeConfigMap (cm) {
      const ns = encodeURIComponent(cm.metadata.namespace ?? 'default')
      const payload = { apiVersion: 'v1', kind: 'ConfigMap', ...cm }
      if (cm.metadata.resourceVersion === undefined) {
        await call({ method: 'POST', path: `/api/v1/namespaces/${ns}/configmaps`, body: payload, api: 'create configmaps' })
      } else {
        await call({ method: 'PUT', path: `/api/v1/namespaces/${ns}/configmaps/${encodeURIComponent(cm.metadata.name ?? '')}`, body: payload, api: 'update configmaps' })
      }
    }
  }
}

export function isConflict (err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409
}

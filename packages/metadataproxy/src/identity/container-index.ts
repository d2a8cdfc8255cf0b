// Which container owns a source IP. The index is fed by Docker's events stream and a
// periodic resync, never by a per-request listing. When the stream breaks the index is
// emptied (fail closed) until a new stream is open and a full resync has run, so a
// reused IP can never be answered with an old container's identity. Removals take
// effect the moment their event is read, never behind a slow inspect; an inspect or a
// resync that began before a removal cannot bring the removed container back.
import type { Logger } from 'pino'
import type { Clock, Timer } from '../clock.ts'
import type { ContainerFacts, DockerEvent, DockerSource } from '../docker/source.ts'
import { checkRoleName, checkSessionName } from './names.ts'

export const USER_LABEL = 'bastion.user'
const MISS_RESYNC_MS = 1000

export interface ManagedContainer {
  id: string
  name: string
  ip: string
  user: string
  role: string
  // Why this container gets no credentials, when it gets none.
  problem?: string
}

export interface IndexOptions {
  source: DockerSource
  network: string
  rolePrefix: string
  clock: Clock
  resyncMs: number
  timeoutMs: number
  log: Logger
  onManagedStart?: (container: ManagedContainer) => void
}

export class ContainerIndex {
  readonly #opts: IndexOptions
  readonly #byIp = new Map<string, ManagedContainer>()
  readonly #ipById = new Map<string, string>()
  readonly #abort = new AbortController()
  #queue: Promise<void> = Promise.resolve()
  #queued = 0
  // Removals so far, and the count at each removed container's latest removal: an
  // inspect or resync that began before that count is stale for that container.
  #removals = 0
  readonly #removedAt = new Map<string, number>()
  // Bumped whenever the index is emptied: work begun before it changes nothing.
  #epoch = 0
  // Closes the events stream being followed (its HTTP response), e.g. when an inspect fails.
  #closeStream: ((err?: unknown) => void) | undefined
  #ready = false
  #lastEventNano: bigint | undefined
  #resyncTimer: Timer | undefined
  #missResync: Promise<void> | undefined
  #lastMissResync = Number.NEGATIVE_INFINITY

  constructor (opts: IndexOptions) {
    this.#opts = opts
  }

  lookup (ip: string): ManagedContainer | undefined {
    return this.#ready ? this.#byIp.get(ip) : undefined
  }

  // For a caller the index does not know: it may be a container that started a moment
  // ago, whose start event is not processed yet (a first login that runs a command at
  // once). Resync, shared and at most once a second, then look again. Unknown callers
  // can therefore cost at most one listing per second, never one per request.
  async lookupFresh (ip: string): Promise<ManagedContainer | undefined> {
    const hit = this.lookup(ip)
    if (hit !== undefined || !this.#ready) return hit
    const now = this.#opts.clock.now()
    if (this.#missResync === undefined && now - this.#lastMissResync >= MISS_RESYNC_MS) {
      this.#lastMissResync = now
      this.#missResync = this.#serial(() => this.#resync())
        .catch((err: unknown) => { this.#opts.log.warn({ err }, 'resync for an unknown caller failed') })
        .finally(() => { this.#missResync = undefined })
    }
    if (this.#missResync !== undefined) await this.#missResync
    return this.lookup(ip)
  }

  get ready (): boolean { return this.#ready }
  get size (): number { return this.#byIp.size }

  // Opens the events stream and runs the first resync; throws if Docker cannot be
  // reached. Afterwards the stream is followed and reopened in the background.
  async start (): Promise<void> {
    const events = await this.#openResynced(undefined)
    this.#ready = true
    this.#scheduleResync()
    void this.#follow(events)
  }

  close (): void {
    this.#abort.abort()
    if (this.#resyncTimer !== undefined) this.#opts.clock.clearTimeout(this.#resyncTimer)
    this.#invalidate()
  }

  // Opens a stream, then resyncs; a stream whose resync fails is closed, never left open.
  async #openResynced (since: bigint | undefined): Promise<AsyncIterable<DockerEvent>> {
    const own = new AbortController()
    const events = await this.#opts.source.openEvents(since, AbortSignal.any([this.#abort.signal, own.signal]))
    let failure: unknown
    this.#closeStream = (err) => { failure ??= err; own.abort(err) }
    try {
      await this.#serial(() => this.#resync())
    } catch (err) {
      own.abort(err)
      throw err
    }
    return {
      async * [Symbol.asyncIterator] () {
        yield * events
        if (failure !== undefined) throw failure
      }
    }
  }

  async #follow (first: AsyncIterable<DockerEvent>): Promise<void> {
    let events: AsyncIterable<DockerEvent> | undefined = first
    let backoff = 200
    while (!this.#abort.signal.aborted) {
      try {
        if (events === undefined) {
          events = await this.#openResynced(this.#lastEventNano)
          this.#ready = true
          this.#opts.log.info({ containers: this.#byIp.size }, 'docker events stream reopened; index resynced')
        }
        backoff = 200
        for await (const event of events) {
          this.#lastEventNano = event.timeNano
          this.#apply(event)
        }
        if (!this.#abort.signal.aborted) this.#opts.log.warn('docker events stream ended')
      } catch (err) {
        if (this.#abort.signal.aborted) return
        this.#opts.log.warn({ err }, 'docker events stream failed')
      }
      this.#closeStream?.()
      this.#closeStream = undefined
      events = undefined
      if (this.#abort.signal.aborted) return
      this.#invalidate()
      await new Promise<void>((resolve) => this.#opts.clock.setTimeout(resolve, backoff))
      backoff = Math.min(backoff * 2, 10_000)
    }
  }

  // Runs inspects and resyncs one after another, so an inspect that resolves late can
  // never undo a later start. Removals do not wait here (see #apply).
  #serial (fn: () => Promise<void>): Promise<void> {
    this.#queued++
    const next = this.#queue.then(fn, fn).finally(() => {
      // Nothing begun before now is still running: no removal can be stale any more.
      if (--this.#queued === 0) this.#removedAt.clear()
    })
    this.#queue = next.catch(() => {})
    return next
  }

  // True when `id` was removed after a piece of work that began at `since` removals.
  #removedSince (id: string, since: number): boolean {
    return (this.#removedAt.get(id) ?? -1) > since
  }

  #signal (): AbortSignal {
    return AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#opts.timeoutMs)])
  }

  // Removals happen here and now; additions are queued behind the inspects before them.
  // A failed inspect closes the stream, so the index is emptied and rebuilt (fail closed).
  #apply (event: DockerEvent): void {
    const { action, containerId } = event
    if (event.kind === 'network') {
      if (event.networkName !== this.#opts.network) return
      if (action === 'connect') this.#queueRefresh(containerId)
      else if (action === 'disconnect') this.#remove(containerId, 'network disconnect')
      return
    }
    // kill and oom do not mean the container stopped (`docker kill -s HUP`, a process
    // killed for memory inside a running container): ask Docker. When it did stop, the
    // die event that follows removes it as well.
    if (action === 'start' || action === 'unpause' || action === 'restart' || action === 'kill' || action === 'oom') this.#queueRefresh(containerId)
    else if (action === 'die' || action === 'stop' || action === 'destroy' || action === 'pause') this.#remove(containerId, action)
  }

  #queueRefresh (id: string): void {
    const epoch = this.#epoch
    this.#serial(() => this.#refresh(id, epoch)).catch((err: unknown) => {
      if (epoch === this.#epoch) this.#closeStream?.(err)
    })
  }

  async #refresh (id: string, epoch: number): Promise<void> {
    if (epoch !== this.#epoch) return
    const since = this.#removals
    const facts = await this.#opts.source.inspect(id, this.#signal())
    if (epoch !== this.#epoch || this.#removedSince(id, since)) return
    if (facts === null || !facts.running) { this.#remove(id, 'not running'); return }
    const isNew = !this.#ipById.has(id)
    const record = this.#record(facts)
    if (record === undefined) { this.#remove(id, 'not managed'); return }
    this.#set(record)
    if (isNew && record.problem === undefined) this.#opts.onManagedStart?.(record)
  }

  // A full listing replaces the index. Containers it finds that the index did not know
  // (after a restart, a reopened stream, or for lookupFresh) are prefetched like a start.
  async #resync (): Promise<void> {
    const since = this.#removals
    const listed = await this.#opts.source.listManaged(USER_LABEL, this.#opts.network, this.#signal())
    const fresh = new Map<string, ManagedContainer>()
    for (const { id, ip } of listed) {
      const known = this.#ipById.get(id)
      const existing = known !== undefined ? this.#byIp.get(known) : undefined
      if (existing !== undefined && existing.ip === ip) { fresh.set(existing.ip, existing); continue }
      const facts = await this.#opts.source.inspect(id, this.#signal())
      const record = facts !== null && facts.running ? this.#record(facts) : undefined
      if (record !== undefined) fresh.set(record.ip, record)
    }
    const known = new Set(this.#ipById.keys())
    this.#byIp.clear()
    this.#ipById.clear()
    const found: ManagedContainer[] = []
    for (const record of fresh.values()) {
      if (this.#removedSince(record.id, since)) continue
      this.#set(record)
      if (!known.has(record.id) && record.problem === undefined) found.push(record)
    }
    this.#opts.log.debug({ containers: this.#byIp.size }, 'container index resynced')
    for (const record of found) this.#opts.onManagedStart?.(record)
  }

  #scheduleResync (): void {
    this.#resyncTimer = this.#opts.clock.setTimeout(() => {
      if (this.#abort.signal.aborted) return
      if (this.#ready) {
        this.#serial(() => this.#resync()).catch((err: unknown) => this.#opts.log.warn({ err }, 'container index resync failed'))
      }
      this.#scheduleResync()
    }, this.#opts.resyncMs)
  }

  #record (facts: ContainerFacts): ManagedContainer | undefined {
    const user = facts.labels[USER_LABEL]
    const ip = facts.ips[this.#opts.network]
    if (user === undefined || ip === undefined) return undefined
    const role = facts.env.IAM_ROLE ?? ''
    const record: ManagedContainer = { id: facts.id, name: facts.name, ip, user, role }
    const userCheck = checkSessionName(user)
    const roleCheck = checkRoleName(this.#opts.rolePrefix, role)
    const problem = !userCheck.ok ? userCheck.reason : !roleCheck.ok ? roleCheck.reason : facts.spoofing
    if (problem !== undefined) {
      record.problem = problem
      this.#opts.log.warn({ container: facts.name, user: user.slice(0, 80), problem }, 'managed container gets no credentials')
    }
    return record
  }

  #set (record: ManagedContainer): void {
    const previousIp = this.#ipById.get(record.id)
    if (previousIp !== undefined && previousIp !== record.ip) this.#byIp.delete(previousIp)
    const holder = this.#byIp.get(record.ip)
    if (holder !== undefined && holder.id !== record.id) {
      this.#ipById.delete(holder.id)
      this.#opts.log.info({ ip: record.ip, old: holder.name, new: record.name }, 'IP now belongs to another container')
    }
    this.#byIp.set(record.ip, record)
    this.#ipById.set(record.id, record.ip)
  }

  #remove (id: string, why: string): void {
    // Remembered while inspects or resyncs are under way, so none of them can undo it.
    if (this.#queued > 0) this.#removedAt.set(id, ++this.#removals)
    const ip = this.#ipById.get(id)
    if (ip === undefined) return
    this.#ipById.delete(id)
    if (this.#byIp.get(ip)?.id === id) this.#byIp.delete(ip)
    this.#opts.log.debug({ id: id.slice(0, 12), ip, why }, 'container left the index')
  }

  #invalidate (): void {
    this.#epoch++
    this.#ready = false
    this.#byIp.clear()
    this.#ipById.clear()
  }
}

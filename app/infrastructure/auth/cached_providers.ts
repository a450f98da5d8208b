import { createHash } from 'node:crypto'
import type { Secret } from '@adonisjs/core/helpers'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import {
  AccessToken,
  AccessTokensLucidUserProvider,
  DbAccessTokensProvider,
} from '@adonisjs/auth/access_tokens'
import type { LucidTokenable } from '@adonisjs/auth/types/access_tokens'
import revocations from './revocations.js'

/**
 * A small time-bounded cache. Authentication otherwise costs three database
 * round trips per request (token row, last_used_at write, user row) — more
 * than the dashboard's actual query. How long an entry lives depends on
 * whether this process hears revocations (./revocations.ts): while it does,
 * a token revoked anywhere is dropped at once and entries may live long
 * (ACCESS_TOKEN_CACHE_NOTIFIED_MS); while it does not, a token revoked by
 * another process stops working within ACCESS_TOKEN_CACHE_MS. This process
 * evicts at once on logout/revoke either way.
 */
class TtlCache<V> {
  #entries = new Map<string, { value: V; loadedAt: number }>()
  /**
   * Bumped by every eviction: a load that started before one does not cache
   * its result (a logout during a verification must not bring the token back).
   */
  #evictions = 0

  /** `ttlMs` is asked at each use: the bound changes with the revocation listener's state. */
  constructor(
    private ttlMs: () => number,
    private maxEntries = 50_000
  ) {}

  /** The cached value, else `load()`'s (cached unless an eviction happened while it ran). */
  async fetch(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const hit = this.#entries.get(key)
    if (hit && hit.loadedAt + this.ttlMs() > Date.now()) return hit.value
    return this.#load(key, load)
  }

  async #load(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const evictions = this.#evictions
    // the bound counts from before the read: a load held up (a row lock) does not stretch it
    const startedAt = Date.now()
    const value = await load()
    // a key found invalid is dropped without counting as an eviction: invalid
    // tokens sent in bulk must not keep every concurrent load from caching
    if (value === null) this.#entries.delete(key)
    else if (evictions === this.#evictions) this.#set(key, value, startedAt)
    return value
  }

  #set(key: string, value: V, loadedAt: number) {
    if (this.ttlMs() <= 0) return
    this.#entries.delete(key)
    if (this.#entries.size >= this.maxEntries) {
      // Map iterates in insertion order: drop the oldest.
      this.#entries.delete(this.#entries.keys().next().value!)
    }
    this.#entries.set(key, { value, loadedAt })
  }

  delete(key: string) {
    this.#evictions++
    this.#entries.delete(key)
  }

  deleteWhere(predicate: (value: V) => boolean) {
    this.#evictions++
    for (const [key, entry] of this.#entries) if (predicate(entry.value)) this.#entries.delete(key)
  }

  clear() {
    this.#evictions++
    this.#entries.clear()
  }
}

/**
 * The bound of a cache created now: ACCESS_TOKEN_CACHE_MS (0 turns caching
 * off), or ACCESS_TOKEN_CACHE_NOTIFIED_MS while revocations are heard.
 */
function cacheBound(): () => number {
  const unheard = Number(process.env.ACCESS_TOKEN_CACHE_MS ?? 5_000)
  const heard = Number(process.env.ACCESS_TOKEN_CACHE_NOTIFIED_MS ?? 300_000)
  if (!(unheard > 0)) return () => 0
  return () => (revocations.listening ? Math.max(heard, unheard) : unheard)
}

/** How stale `last_used_at` may be: writing it on every cache miss put a commit on the read path. */
const LAST_USED_RESOLUTION_MS = 60_000

function keyOf(value: Secret<string>) {
  return createHash('sha256').update(value.release()).digest('hex')
}

export class CachedDbAccessTokensProvider<
  Model extends LucidModel,
> extends DbAccessTokensProvider<Model> {
  #bound = cacheBound()
  #cache = new TtlCache<AccessToken>(this.#bound)
  #subscribed = false

  static forModel<M extends LucidModel>(
    model: M,
    options: Omit<ConstructorParameters<typeof DbAccessTokensProvider<M>>[0], 'tokenableModel'> = {}
  ): CachedDbAccessTokensProvider<M> {
    return new CachedDbAccessTokensProvider<M>({ tokenableModel: model, ...options })
  }

  async verify(tokenValue: Secret<string>): Promise<AccessToken | null> {
    if (!this.#subscribed && this.#bound() > 0) {
      this.#subscribed = true
      revocations.subscribe({
        revoked: (table, ids) => {
          if (table !== this.table) return
          if (ids === '*') this.#cache.clear()
          else this.#cache.deleteWhere((t) => ids.has(String(t.identifier)))
        },
        gap: () => this.#cache.clear(),
      })
    }
    const token = await this.#cache.fetch(keyOf(tokenValue), () =>
      this.verifyInDatabase(tokenValue)
    )
    return token && !token.isExpired() ? token : null
  }

  /**
   * The framework's verify, with two changes: `last_used_at` is written only
   * for a token whose secret matched (the framework wrote it first, so a
   * wrong secret with a valid id cost a write), and at most once a minute.
   */
  protected async verifyInDatabase(tokenValue: Secret<string>): Promise<AccessToken | null> {
    const decoded = AccessToken.decode(this.prefix, tokenValue.release())
    if (!decoded) return null
    const db = await this.getDb()
    const where = { id: decoded.identifier, type: this.type }
    const row = await db.query().from(this.table).where(where).limit(1).first()
    if (!row) return null
    const token = this.dbRowToAccessToken(row)
    if (!token.verify(decoded.secret) || token.isExpired()) return null
    const lastUsed = token.lastUsedAt?.getTime() ?? 0
    if (Date.now() - lastUsed < LAST_USED_RESOLUTION_MS) return token
    const now = new Date()
    const updated = await db.from(this.table).where(where).update({ last_used_at: now })
    // deleted (revoked) between the read and the write
    if (Number(Array.isArray(updated) ? updated[0] : updated) === 0) return null
    return this.dbRowToAccessToken({ ...row, last_used_at: now })
  }

  // Each eviction is done again once the row is gone: a verification that
  // started in between read the row still there and may have cached it.

  async invalidate(tokenValue: Secret<string>): Promise<boolean> {
    const key = keyOf(tokenValue)
    this.#cache.delete(key)
    try {
      return await super.invalidate(tokenValue)
    } finally {
      this.#cache.delete(key)
    }
  }

  async delete(user: InstanceType<Model>, identifier: string | number | bigint): Promise<number> {
    const evict = () => this.#cache.deleteWhere((t) => String(t.identifier) === String(identifier))
    evict()
    try {
      return await super.delete(user, identifier)
    } finally {
      evict()
    }
  }

  async deleteAll(user: InstanceType<Model>): Promise<number> {
    this.#cache.clear()
    try {
      return await super.deleteAll(user)
    } finally {
      this.#cache.clear()
    }
  }
}

/**
 * Caches the guard's user lookup for the same bound. Routes use the guard's
 * user for its identity (id, wallet), which never changes; routes that show
 * mutable profile data read it fresh.
 *
 * What is cached is the row; each request gets its own model instance. The
 * guard hangs the request's token on the instance (`currentAccessToken`: the
 * abilities checked, the token a live stream watches), so a shared instance
 * let two requests of one user or service client read each other's token.
 */
export class CachedLucidUserProvider<
  TokenableProperty extends string,
  UserModel extends LucidTokenable<TokenableProperty>,
> extends AccessTokensLucidUserProvider<TokenableProperty, UserModel> {
  // A user row is only looked up for a token just verified (deleting a user
  // deletes its tokens), so it shares the tokens' bound — up to 5 minutes —
  // with no announcements of its own. That holds only while routes take
  // nothing mutable from the guard's user: its id and wallet (users), id and
  // name (clients). Anything else must be read fresh.
  #rows = new TtlCache<Record<string, unknown>>(cacheBound())

  async findById(identifier: string | number | bigint) {
    const model = await this.getModel()
    const row = await this.#rows.fetch(String(identifier), () =>
      model
        .query()
        .where(model.primaryKey, identifier as string)
        .pojo<Record<string, unknown>>()
        .first()
    )
    if (!row) return null
    // a copy: jsonb columns would otherwise be one object shared by every request's instance
    const own = model.$createFromAdapterResult(structuredClone(row))
    return this.createUserForGuard(own as InstanceType<UserModel>)
  }
}

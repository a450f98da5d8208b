import { createHash } from 'node:crypto'
import type { Secret } from '@adonisjs/core/helpers'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import {
  type AccessToken,
  AccessTokensLucidUserProvider,
  DbAccessTokensProvider,
} from '@adonisjs/auth/access_tokens'
import type { AccessTokensGuardUser, LucidTokenable } from '@adonisjs/auth/types/access_tokens'

/**
 * A small time-bounded cache. Authentication otherwise costs three database
 * round trips per request (token row, last_used_at write, user row) — more
 * than the dashboard's actual query. Entries live `ttlMs` at most, so a token
 * revoked by another process (another replica, `tokens:revoke`) stops working
 * within that bound; this process evicts at once on logout/revoke.
 */
class TtlCache<V> {
  #entries = new Map<string, { value: V; until: number }>()
  constructor(
    private ttlMs: number,
    private maxEntries = 50_000
  ) {}

  get(key: string): V | undefined {
    const hit = this.#entries.get(key)
    if (!hit) return undefined
    if (hit.until <= Date.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return hit.value
  }

  set(key: string, value: V) {
    if (this.ttlMs <= 0) return
    if (this.#entries.size >= this.maxEntries) {
      // Map iterates in insertion order: drop the oldest.
      this.#entries.delete(this.#entries.keys().next().value!)
    }
    this.#entries.set(key, { value, until: Date.now() + this.ttlMs })
  }

  delete(key: string) {
    this.#entries.delete(key)
  }

  deleteWhere(predicate: (value: V) => boolean) {
    for (const [key, entry] of this.#entries) if (predicate(entry.value)) this.#entries.delete(key)
  }

  clear() {
    this.#entries.clear()
  }
}

const ttlMs = () => Number(process.env.ACCESS_TOKEN_CACHE_MS ?? 5000)

function keyOf(value: Secret<string>) {
  return createHash('sha256').update(value.release()).digest('hex')
}

export class CachedDbAccessTokensProvider<
  Model extends LucidModel,
> extends DbAccessTokensProvider<Model> {
  #cache = new TtlCache<AccessToken>(ttlMs())

  static forModel<M extends LucidModel>(
    model: M,
    options: Omit<ConstructorParameters<typeof DbAccessTokensProvider<M>>[0], 'tokenableModel'> = {}
  ): CachedDbAccessTokensProvider<M> {
    return new CachedDbAccessTokensProvider<M>({ tokenableModel: model, ...options })
  }

  async verify(tokenValue: Secret<string>): Promise<AccessToken | null> {
    const key = keyOf(tokenValue)
    const cached = this.#cache.get(key)
    if (cached && !cached.isExpired()) return cached
    const token = await super.verify(tokenValue)
    if (token) this.#cache.set(key, token)
    else this.#cache.delete(key)
    return token
  }

  async invalidate(tokenValue: Secret<string>): Promise<boolean> {
    this.#cache.delete(keyOf(tokenValue))
    return super.invalidate(tokenValue)
  }

  async delete(user: InstanceType<Model>, identifier: string | number | bigint): Promise<number> {
    this.#cache.deleteWhere((t) => String(t.identifier) === String(identifier))
    return super.delete(user, identifier)
  }

  async deleteAll(user: InstanceType<Model>): Promise<number> {
    this.#cache.clear()
    return super.deleteAll(user)
  }
}

/**
 * Caches the guard's user lookup for the same bound. Routes use the guard's
 * user for its identity (id, wallet), which never changes; routes that show
 * mutable profile data read it fresh.
 */
export class CachedLucidUserProvider<
  TokenableProperty extends string,
  UserModel extends LucidTokenable<TokenableProperty>,
> extends AccessTokensLucidUserProvider<TokenableProperty, UserModel> {
  #cache = new TtlCache<AccessTokensGuardUser<InstanceType<UserModel>>>(ttlMs())

  async findById(identifier: string | number | bigint) {
    const key = String(identifier)
    const cached = this.#cache.get(key)
    if (cached) return cached
    const user = await super.findById(identifier)
    if (user) this.#cache.set(key, user)
    return user
  }
}

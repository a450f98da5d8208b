import type { HttpContext } from '@adonisjs/core/http'
import {
  createSnapshotBatchValidator,
  createSnapshotValidator,
  latestPositionsValidator,
  positionHistoryValidator,
  simulateValidator,
  snoozeValidator,
} from '#validators/position'
import { recordSnapshots, type Ingestor } from '#services/positions/record_snapshots'
import { positionHistory } from '#services/positions/read_positions'
import { latestPositionsWithRisk, positionWithRisk } from '#services/positions/liquidation_risk'
import { simulateLatest } from '#services/positions/simulate'
import { snoozePosition } from '#services/positions/snooze'
import { syncUser } from '#services/chain/chain_status'
import { positionRowToJson, positionToJson } from '#transformers/position_transformer'

function ingestorOf(ctx: HttpContext): Ingestor {
  return ctx.caller.kind === 'user'
    ? { kind: 'user', userId: ctx.caller.user.id, walletAddress: ctx.caller.user.walletAddress }
    : { kind: 'service' }
}

export default class PositionsController {
  /** One snapshot: 201 when stored, 200 when this exact snapshot was already recorded. */
  async store(ctx: HttpContext) {
    const payload = await ctx.request.validateUsing(createSnapshotValidator, {
      data: ctx.request.body(),
      meta: { caller: ctx.caller.kind },
    })
    // The stored row comes back from the insert: no read after the commit.
    const [recorded] = await recordSnapshots(ingestorOf(ctx), [payload], { returnRows: true })
    return ctx.response.status(recorded.created ? 201 : 200).send({
      data: positionRowToJson(recorded.row!),
      meta: { alreadyRecorded: !recorded.created },
    })
  }

  /** Up to 1,000 snapshots, all or nothing. */
  async storeBatch(ctx: HttpContext) {
    const { snapshots } = await ctx.request.validateUsing(createSnapshotBatchValidator, {
      data: ctx.request.body(),
    })
    const recorded = await recordSnapshots(ingestorOf(ctx), snapshots)
    const created = recorded.filter((r) => r.created).length
    return ctx.response.status(201).send({
      data: recorded.map((r) => ({
        id: r.id,
        protocol: r.protocol,
        chainId: r.chainId,
        snapshotAt: r.snapshotAt,
        alreadyRecorded: !r.created,
      })),
      meta: { created, alreadyRecorded: recorded.length - created },
    })
  }

  /** Reads all the caller's wallets (proven and watched) from every configured chain now; answers their latest positions. */
  async sync({ auth }: HttpContext) {
    const user = auth.use('api').getUserOrFail()
    const result = await syncUser({ id: user.id })
    return {
      data: result.positions.map(positionRowToJson),
      meta: { nextCursor: null, chains: result.chains },
    }
  }

  async index({ auth, request }: HttpContext) {
    const filter = await request.validateUsing(latestPositionsValidator, { data: request.qs() })
    const positions = await latestPositionsWithRisk(auth.use('api').getUserOrFail().id, filter)
    return {
      data: positions.map(({ row, risk }) => ({ ...positionRowToJson(row), risk })),
      meta: { nextCursor: null },
    }
  }

  async history({ auth, request }: HttpContext) {
    const query = await request.validateUsing(positionHistoryValidator, { data: request.qs() })
    const page = await positionHistory(auth.use('api').getUserOrFail().id, query)
    return { data: page.data.map(positionRowToJson), meta: { nextCursor: page.nextCursor } }
  }

  async show({ auth, params }: HttpContext) {
    const { position, risk } = await positionWithRisk(auth.use('api').getUserOrFail().id, params.id)
    return { data: { ...positionToJson(position), risk } }
  }

  /** Relative price changes applied to the caller's latest snapshot of one position. */
  async simulate({ auth, request }: HttpContext) {
    const { protocol, chainId, priceChanges, walletAddress } = await request.validateUsing(
      simulateValidator,
      { data: request.body() }
    )
    const result = await simulateLatest(
      auth.use('api').getUserOrFail().id,
      protocol,
      chainId ?? 1,
      priceChanges,
      walletAddress
    )
    return { data: result }
  }

  /** Mutes one position's alerts until an instant. */
  async snooze({ auth, request }: HttpContext) {
    const { protocol, chainId, until, walletAddress } = await request.validateUsing(
      snoozeValidator,
      { data: request.body() }
    )
    const user = auth.use('api').getUserOrFail()
    return {
      data: await snoozePosition(
        user.id,
        user.walletAddress,
        protocol,
        chainId ?? 1,
        until,
        walletAddress
      ),
    }
  }
}

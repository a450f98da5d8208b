import { test } from '@japa/runner'
import { errors } from '@vinejs/vine'
import { DateTime } from 'luxon'
import { createSnapshotBatchValidator, createSnapshotValidator } from '#validators/position'

const good = {
  walletAddress: '0xABCDEFabcdef0123456789012345678901234567',
  protocol: 'aave_v3',
  chainId: 1,
  collateral: [{ symbol: 'WETH', amount: '1.5', valueUsd: '3000', liquidationThreshold: '0.825' }],
  debt: [{ symbol: 'USDC', amount: '1000', valueUsd: '1000' }],
  snapshotAt: '2026-03-03T12:00:00+02:00',
}

async function fieldsOf(promise: Promise<unknown>) {
  try {
    await promise
    return []
  } catch (error) {
    if (!(error instanceof errors.E_VALIDATION_ERROR)) throw error
    return (error.messages as { field: string }[]).map((m) => m.field)
  }
}

test.group('Validators | snapshot', () => {
  test('normalises the wallet to lower case and the instant to UTC', async ({ assert }) => {
    const out = await createSnapshotValidator.validate(good)
    assert.equal(out.walletAddress, '0xabcdefabcdef0123456789012345678901234567')
    assert.isTrue(DateTime.isDateTime(out.snapshotAt))
    assert.equal(out.snapshotAt.toISO(), '2026-03-03T10:00:00.000Z')
  })

  test('rejects exponents, signs, hex and whitespace tricks in amounts', async ({ assert }) => {
    for (const amount of ['1e3', '-5', '0x10', '1.', '.5', '01', 'NaN', 'Infinity', '1 000', '']) {
      const fields = await fieldsOf(
        createSnapshotValidator.validate({
          ...good,
          collateral: [{ ...good.collateral[0], amount }],
        })
      )
      assert.deepEqual(fields, ['collateral.0.amount'], `amount ${JSON.stringify(amount)}`)
    }
  })

  test('liquidation thresholds must be within 0..1', async ({ assert }) => {
    for (const [lt, ok] of [
      ['0', true],
      ['1', true],
      ['1.0', true],
      ['0.999', true],
      ['1.01', false],
      ['2', false],
      ['-0.1', false],
    ] as const) {
      const fields = await fieldsOf(
        createSnapshotValidator.validate({
          ...good,
          collateral: [{ ...good.collateral[0], liquidationThreshold: lt }],
        })
      )
      assert.deepEqual(fields, ok ? [] : ['collateral.0.liquidationThreshold'], lt)
    }
  })

  test('instants need an offset and must exist', async ({ assert }) => {
    for (const snapshotAt of [
      '2026-03-03T12:00:00',
      '2026-13-03T12:00:00Z',
      'yesterday',
      '1700000000',
    ]) {
      assert.deepEqual(await fieldsOf(createSnapshotValidator.validate({ ...good, snapshotAt })), [
        'snapshotAt',
      ])
    }
  })

  test('instants PostgreSQL cannot store or read back are refused, the edges kept', async ({
    assert,
  }) => {
    for (const [snapshotAt, ok] of [
      ['0000-01-01T00:00:00Z', false],
      ['1969-12-31T23:59:59.999Z', false],
      ['1970-01-01T00:00:00Z', true],
      ['1970-01-01T01:00:00+01:00', true],
      ['9999-12-31T23:59:59.999Z', true],
      ['9999-12-31T23:59:59-00:01', false],
    ] as const) {
      const fields = await fieldsOf(createSnapshotValidator.validate({ ...good, snapshotAt }))
      assert.deepEqual(fields, ok ? [] : ['snapshotAt'], snapshotAt)
    }
  })

  test('a batch names the path of each bad field', async ({ assert }) => {
    const snapshots = Array.from({ length: 5 }, () => structuredClone(good))
    snapshots[3].collateral[0].amount = 'abc'
    snapshots[1].protocol = 'Aave V3'
    const fields = await fieldsOf(createSnapshotBatchValidator.validate({ snapshots }))
    assert.sameMembers(fields, ['snapshots.3.collateral.0.amount', 'snapshots.1.protocol'])
  })

  test('a batch holds 1 to 1,000 snapshots', async ({ assert }) => {
    assert.deepEqual(await fieldsOf(createSnapshotBatchValidator.validate({ snapshots: [] })), [
      'snapshots',
    ])
    const many = Array.from({ length: 1001 }, () => good)
    assert.deepEqual(await fieldsOf(createSnapshotBatchValidator.validate({ snapshots: many })), [
      'snapshots',
    ])
  })
})

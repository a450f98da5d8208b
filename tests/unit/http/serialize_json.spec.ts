import { test } from '@japa/runner'
import { safeStringify } from '@poppinss/utils/json'
import { DateTime } from 'luxon'
import { serializeJson } from '#infrastructure/http/serialize_json'

test.group('HTTP | response bodies as JSON', () => {
  test('the same text as the framework default for plain data', ({ assert }) => {
    const bodies = [
      {
        data: [
          {
            id: 'a',
            healthFactor: '1.5',
            collateral: [{ symbol: 'WETH', amount: '1' }],
            risk: { liquidationProbability: null, basedOn: { samples: 0, since: null } },
            skipped: undefined,
            at: new Date('2026-01-01T00:00:00Z'),
            luxon: DateTime.fromISO('2026-01-01T00:00:00Z', { zone: 'utc' }),
            n: [0, -0, 1.5, Number.NaN, Infinity],
            nested: { 'key with "quotes"': 'é\u2028\ud83d\ude00', 'empty': {} },
          },
        ],
        meta: { nextCursor: null },
      },
      [],
      'text',
      42,
      null,
    ]
    for (const body of bodies) assert.equal(serializeJson(body), safeStringify(body))
  })

  test('what JSON.stringify refuses goes to the framework default: BigInts as strings, cycles dropped', ({
    assert,
  }) => {
    assert.equal(
      serializeJson({ chatId: 12345678901234567890n }),
      '{"chatId":"12345678901234567890"}'
    )
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    assert.equal(serializeJson(cyclic), safeStringify(cyclic))
  })
})

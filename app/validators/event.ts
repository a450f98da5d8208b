import vine from '@vinejs/vine'

export const listEventsValidator = vine.create(
  vine.object({
    type: vine
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/)
      .optional(),
    aggregateType: vine.enum(['user', 'position', 'alert', 'intent'] as const).optional(),
    limit: vine.number().withoutDecimals().range([1, 200]).optional(),
    after: vine.string().trim().maxLength(200).optional(),
  })
)

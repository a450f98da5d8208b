import vine from '@vinejs/vine'

export const siweValidator = vine.create(
  vine.object({
    message: vine.string().maxLength(4096),
    signature: vine
      .string()
      .regex(/^0x([0-9a-fA-F]{2})+$/)
      .maxLength(20_000),
  })
)

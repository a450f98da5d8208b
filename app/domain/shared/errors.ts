/**
 * An expected failure of a use case. Domain code throws these with a stable
 * `code`; the HTTP exception handler alone decides which status each code
 * maps to, so the domain never knows about HTTP.
 */
export class DomainError extends Error {
  constructor(
    readonly code: `E_${string}`,
    message: string,
    readonly field?: string,
    readonly meta?: Record<string, unknown>
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class NotFoundError extends DomainError {
  constructor(what = 'resource') {
    super('E_NOT_FOUND', `The ${what} does not exist`)
  }
}

export class ConflictError extends DomainError {}

/**
 * Several expected failures of one request (bad items of a batch), reported
 * together: one entry each in the error shape. The status is the first one's.
 */
export class DomainErrors extends DomainError {
  constructor(readonly all: [DomainError, ...DomainError[]]) {
    super(all[0].code, all[0].message, all[0].field)
  }
}

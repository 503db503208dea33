/**
 * The one error type services throw for a caller's mistake. Routes turn it into the HTTP
 * status below and the JSON shape `{"error": {"code", "message", "details"?}}`; the CLI
 * prints the message and exits 1. Anything else is a bug and surfaces as a 500.
 */
export type ServiceErrorCode = "invalid" | "unauthorized" | "forbidden" | "not_found" | "conflict" | "too_large" | "too_many";

export const STATUS_OF: Record<ServiceErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  too_many: 429,
};

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ServiceError";
  }

  get status(): number {
    return STATUS_OF[this.code];
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

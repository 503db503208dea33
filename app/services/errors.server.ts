/**
 * The one error type services throw for a caller's mistake. Routes turn it into the HTTP
 * status below and the JSON shape `{"error": {"code", "message", "details"?}}`; the CLI
 * prints the message and exits 1. Anything else is a bug and surfaces as a 500.
 */
export type ServiceErrorCode = "invalid" | "unauthorized" | "forbidden" | "not_found" | "conflict" | "too_large" | "too_many" | "busy";

export const STATUS_OF: Record<ServiceErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  too_many: 429,
  busy: 503,
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

  /** When to try again (busy, too many sign-ins), from `details.retry_after_seconds`: the HTTP Retry-After. */
  get retryAfterSeconds(): number | null {
    const seconds = this.details?.retry_after_seconds;
    return typeof seconds === "number" ? seconds : null;
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/**
 * A write that waited out the busy timeout behind another writer (a large import holds the
 * write lock for its whole transaction) failed and changed nothing: the caller may simply try
 * again, so it is a 503 with a retry hint rather than a 500.
 */
export const BUSY_RETRY_SECONDS = 2;

/** A `busy` error: the caller may send the same request again after BUSY_RETRY_SECONDS. */
export function busyError(message: string): ServiceError {
  return new ServiceError("busy", message, { retry_after_seconds: BUSY_RETRY_SECONDS });
}

/** The error as a ServiceError when it is one, or is SQLite refusing a write while another holds the lock; else null. */
export function asServiceError(error: unknown): ServiceError | null {
  if (error instanceof ServiceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_"))) {
    return busyError("the database is busy with another write (a large import, perhaps); nothing was changed, try again in a moment");
  }
  return null;
}

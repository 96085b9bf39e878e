/**
 * The one closed set of error codes the API answers with, mapped to HTTP statuses here and
 * nowhere else. Bodies are always `{ error: { code, message, details? } }`. Messages are for
 * people and never carry a token, password or secret.
 */
export const ERROR_STATUS = {
  // 400
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  weak_password: 400,
  invalid_state: 400,
  oauth_denied: 400,
  oauth_failed: 502,
  invalid_url: 400,
  unsafe_url: 400,
  unknown_platform: 400,
  csv_invalid: 400,
  post_invalid: 400,
  time_in_past: 400,
  // 401 / 403
  unauthenticated: 401,
  invalid_credentials: 401,
  session_expired: 401,
  csrf_failed: 403,
  forbidden: 403,
  // 404 / 409 / 410
  not_found: 404,
  conflict: 409,
  email_taken: 409,
  already_member: 409,
  account_mismatch: 409,
  not_editable: 409,
  invitation_expired: 410,
  // 429
  rate_limited: 429,
  // 5xx
  platform_unavailable: 503,
  not_ready: 503,
  internal: 500,
  // accounts and workspaces
  signup_closed: 403,
  workspace_archived: 409,
  last_owner: 409,
  // publishing
  connection_needs_reconnect: 409,
  target_not_retryable: 409,
  // sandbox time travel
  time_travel_off: 409,
  time_backwards: 409,
  sandbox_busy: 409,
  /** An advance stopped part-way: something keeps coming due (the message says where the clock stopped). */
  sandbox_stuck: 500,
  /** An advance stopped part-way: the job queues did not drain at one instant (the message says where). */
  sandbox_drain_timeout: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Seconds, for `Retry-After` on 429 and 503. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; retryAfter?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): { error: { code: ErrorCode; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

/** "Not found" for anything the caller may not see: another workspace's resource answers the same. */
export function notFound(what = 'resource'): AppError {
  return new AppError('not_found', `No such ${what}`);
}

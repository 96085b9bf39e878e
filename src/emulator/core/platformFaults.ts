/**
 * What an injected `server_error` or `rate_limit` fault answers: each platform's own error
 * envelope (platforms.md), so adapters meet the bodies they will meet for real. A rate limit
 * always carries `Retry-After` (`retryAfterS`, default 60) besides the platform's own headers.
 * Families: Meta Graph (Facebook, Instagram, Threads), X, TikTok, Google, LinkedIn, Pinterest,
 * Bluesky (XRPC), Mastodon. OAuth endpoints answer in RFC 6749 shape where the platform does.
 */
import { randomBytes } from 'node:crypto';
import type { Fault } from './faults.ts';

export type FaultReply = { status: number; contentType?: string; headers: Record<string, string>; body: unknown };

type Kind = 'server_error' | 'rate_limit';
type Request = { path: string; nowMs: number };

const traceId = () => randomBytes(9).toString('base64url');

/**
 * Graph throttling: code 4 (the app's limit) on token endpoints, 32 (a Page's limit) on Page
 * edges, 17 (the user's limit) elsewhere. Meta answers these with an HTTP 4xx, not 429 ([UNC]
 * which one; 400 here): the code, not the status, says "throttled".
 */
function graph(kind: Kind, req: Request, fault: Fault): Omit<FaultReply, 'headers'> {
  if (kind === 'server_error') {
    return {
      status: fault.status ?? 500,
      body: { error: { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', is_transient: true, code: 2, fbtrace_id: traceId() } },
    };
  }
  const limit = /access_token|debug_token/.test(req.path)
    ? { code: 4, message: '(#4) Application request limit reached' }
    : /\/(feed|photos|videos|posts)$/.test(req.path)
      ? { code: 32, message: '(#32) Page request limit reached' }
      : { code: 17, message: '(#17) User request limit reached' };
  return { status: fault.status ?? 400, body: { error: { ...limit, type: 'OAuthException', is_transient: true, fbtrace_id: traceId() } } };
}

/** X API v2 problem details (application/problem+json), with its x-rate-limit-* headers. */
function x(kind: Kind, req: Request, fault: Fault, retryAfterS: number): Omit<FaultReply, 'headers'> & { headers?: Record<string, string> } {
  const status = kind === 'rate_limit' ? 429 : (fault.status ?? 503);
  const title = kind === 'rate_limit' ? 'Too Many Requests' : status === 500 ? 'Internal Server Error' : 'Service Unavailable';
  return {
    status,
    contentType: 'application/problem+json',
    body: { title, detail: title, type: 'about:blank', status },
    ...(kind === 'rate_limit'
      ? { headers: { 'x-rate-limit-limit': '300', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil(req.nowMs / 1000) + retryAfterS) } }
      : {}),
  };
}

function tiktok(kind: Kind, req: Request, fault: Fault): Omit<FaultReply, 'headers'> {
  const logId = `2026${randomBytes(10).toString('hex').toUpperCase()}`;
  if (req.path.includes('/oauth/')) {
    return kind === 'rate_limit'
      ? { status: 429, body: { error: 'temporarily_unavailable', error_description: 'Too many requests. Please retry later.', log_id: logId } }
      : { status: fault.status ?? 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.', log_id: logId } };
  }
  return kind === 'rate_limit'
    ? { status: 429, body: { data: {}, error: { code: 'rate_limit_exceeded', message: 'API rate limit exceeded. Please retry after some time.', log_id: logId } } }
    : { status: fault.status ?? 500, body: { data: {}, error: { code: 'internal_error', message: 'Something went wrong. Please try again later.', log_id: logId } } };
}

function google(kind: Kind, req: Request, fault: Fault): Omit<FaultReply, 'headers'> {
  if (req.path.startsWith('/oauth2/') || req.path.startsWith('/accounts/')) {
    return kind === 'rate_limit'
      ? { status: 429, body: { error: 'rate_limit_exceeded', error_description: 'Rate Limit Exceeded' } }
      : { status: fault.status ?? 503, body: { error: 'temporarily_unavailable', error_description: 'The service is currently unavailable.' } };
  }
  const [code, reason, message, status] =
    kind === 'rate_limit'
      ? [429, 'rateLimitExceeded', 'Resource has been exhausted (e.g. check quota).', 'RESOURCE_EXHAUSTED']
      : [fault.status ?? 503, 'backendError', 'Backend Error', 'UNAVAILABLE'];
  return { status: code as number, body: { error: { code, message, errors: [{ message, domain: 'global', reason }], status } } };
}

function linkedin(kind: Kind, req: Request, fault: Fault): Omit<FaultReply, 'headers'> {
  if (req.path.startsWith('/www/oauth/')) {
    return kind === 'rate_limit'
      ? { status: 429, body: { error: 'temporarily_unavailable', error_description: 'Too many requests' } }
      : { status: fault.status ?? 500, body: { error: 'server_error', error_description: 'Internal Server Error' } };
  }
  return kind === 'rate_limit'
    ? { status: 429, body: { status: 429, serviceErrorCode: 101, code: 'TOO_MANY_REQUESTS', message: 'Resource level throttle APPLICATION DAY limit for calls to this resource is reached.' } }
    : { status: fault.status ?? 500, body: { status: fault.status ?? 500, serviceErrorCode: 0, code: 'INTERNAL_SERVER_ERROR', message: 'Internal Server Error' } };
}

function pinterest(kind: Kind, _req: Request, fault: Fault): Omit<FaultReply, 'headers'> {
  return kind === 'rate_limit'
    ? { status: 429, body: { code: 8, message: 'You have exceeded your rate limit. Try again later.' } }
    : { status: fault.status ?? 500, body: { code: 1, message: 'Something went wrong on our end. Sorry about that.' } };
}

/** The reference PDS: `RateLimitExceeded` with the ratelimit-* headers. */
function bluesky(kind: Kind, req: Request, fault: Fault, retryAfterS: number): Omit<FaultReply, 'headers'> & { headers?: Record<string, string> } {
  if (kind === 'server_error') return { status: fault.status ?? 500, body: { error: 'InternalServerError', message: 'Internal Server Error' } };
  return {
    status: 429,
    body: { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' },
    headers: { 'ratelimit-limit': '30', 'ratelimit-remaining': '0', 'ratelimit-reset': String(Math.ceil(req.nowMs / 1000) + retryAfterS), 'ratelimit-policy': '30;w=300' },
  };
}

/** Mastodon: `{"error":"Too many requests"}` with X-RateLimit-* (the reset as an ISO time). */
function mastodon(kind: Kind, req: Request, fault: Fault, retryAfterS: number): Omit<FaultReply, 'headers'> & { headers?: Record<string, string> } {
  if (kind === 'server_error') return { status: fault.status ?? 503, body: { error: 'Service Unavailable' } };
  return {
    status: 429,
    body: { error: 'Too many requests' },
    headers: { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': new Date(req.nowMs + retryAfterS * 1000).toISOString() },
  };
}

export function platformFaultReply(platform: string, kind: Kind, fault: Fault, req: Request): FaultReply {
  const retryAfterS = fault.retryAfterS ?? 60;
  let reply: Omit<FaultReply, 'headers'> & { headers?: Record<string, string> };
  switch (platform) {
    case 'facebook':
    case 'instagram':
    case 'instagram_fb':
    case 'threads':
      reply = graph(kind, req, fault);
      break;
    case 'x':
      reply = x(kind, req, fault, retryAfterS);
      break;
    case 'tiktok':
      reply = tiktok(kind, req, fault);
      break;
    case 'youtube':
      reply = google(kind, req, fault);
      break;
    case 'linkedin':
      reply = linkedin(kind, req, fault);
      break;
    case 'pinterest':
      reply = pinterest(kind, req, fault);
      break;
    case 'bluesky':
      reply = bluesky(kind, req, fault, retryAfterS);
      break;
    case 'mastodon':
      reply = mastodon(kind, req, fault, retryAfterS);
      break;
    default:
      reply = kind === 'rate_limit'
        ? { status: 429, body: { error: 'rate_limited', message: 'Too Many Requests' } }
        : { status: fault.status ?? 503, body: { error: 'server_error', error_description: 'Injected failure' } };
  }
  return { ...reply, headers: { ...(reply.headers ?? {}), ...(kind === 'rate_limit' ? { 'retry-after': String(retryAfterS) } : {}) } };
}

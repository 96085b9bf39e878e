/**
 * Parsers for every Meta token-endpoint response shape platforms.md records. Each one accepts
 * the documented shape and the variants seen live, and throws MalformedResponse (never a
 * message containing a token) on anything else.
 */
import { z } from 'zod';

export class MalformedResponse extends Error {
  override name = 'MalformedResponse';
}

const token = z.string().min(1);
const seconds = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.number().int().nonnegative());
/**
 * Ids arrive as strings, or as JSON numbers (Instagram's flat code exchange) that may exceed
 * 2^53 and lose digits in JSON.parse: adapters take account ids from the profile call instead.
 */
const accountId = z.union([z.string().min(1), z.number().nonnegative().transform((n) => n.toFixed(0))]);
/** `permissions` / `scope` arrive as "a,b,c" or as a JSON array (Instagram, live) */
const permissionList = z.union([z.string(), z.array(z.string())]).transform(splitPermissions);

export function splitPermissions(value: string | string[]): string[] {
  const items = Array.isArray(value) ? value : value.split(',');
  return [...new Set(items.map((s) => s.trim()).filter(Boolean))];
}

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    // Only field paths, never values: the body may hold a token.
    const fields = [...new Set(result.error.issues.map((i) => i.path.join('.') || '(body)'))].join(', ');
    throw new MalformedResponse(`${what}: unexpected response (${fields})`);
  }
  return result.data;
}

/** Unix seconds to a Date; 0 (or absent) means "never" in debug_token and Page tokens. */
export function unixSecondsToDate(value: number | null | undefined): Date | null {
  return value ? new Date(value * 1000) : null;
}

/** `{access_token, token_type?, expires_in?}`: code exchange (FB), fb/ig/th_exchange_token, ig/th_refresh_token. */
export type BearerToken = { accessToken: string; expiresInSec: number | null };

const bearerSchema = z.object({ access_token: token, token_type: z.string().optional(), expires_in: seconds.optional() });

export function parseBearerToken(body: unknown, what: string): BearerToken {
  const b = parse(bearerSchema, body, what);
  // expires_in 0 would mean "already expired"; Meta sends no expires_in for non-expiring tokens.
  return { accessToken: b.access_token, expiresInSec: b.expires_in ?? null };
}

/** Instagram Login code exchange: one entry of `data[]` (docs) or the flat object (live). */
export type InstagramCodeGrant = { accessToken: string; userId: string; permissions: string[] };

const igGrantSchema = z.object({ access_token: token, user_id: accountId, permissions: permissionList.optional() });
const igCodeSchema = z.union([
  z.object({ data: z.array(igGrantSchema).min(1) }).transform((b) => b.data[0]!),
  igGrantSchema,
]);

export function parseInstagramCodeExchange(body: unknown): InstagramCodeGrant {
  const g = parse(igCodeSchema, body, 'Instagram code exchange');
  return { accessToken: g.access_token, userId: g.user_id, permissions: g.permissions ?? [] };
}

/** Threads code exchange: `{access_token, user_id}` (short-lived, 1 h, no expires_in). */
const threadsCodeSchema = z.object({ access_token: token, user_id: accountId, expires_in: seconds.optional() });

export function parseThreadsCodeExchange(body: unknown): { accessToken: string; userId: string; expiresInSec: number | null } {
  const g = parse(threadsCodeSchema, body, 'Threads code exchange');
  return { accessToken: g.access_token, userId: g.user_id, expiresInSec: g.expires_in ?? null };
}

/** `debug_token` (Facebook, Threads): `data.{is_valid, expires_at, data_access_expires_at, scopes, ...}`. */
export type DebugTokenInfo = {
  isValid: boolean;
  type: string | null;
  userId: string | null;
  appId: string | null;
  /** null: never expires (`expires_at: 0`). */
  expiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  issuedAt: Date | null;
  scopes: string[];
  /** When not valid, Meta puts the reason in `data.error` (same code/subcode table). */
  error: { code: number | null; subcode: number | null; message: string } | null;
};

const debugSchema = z.object({
  data: z.object({
    is_valid: z.boolean(),
    type: z.string().optional(),
    app_id: accountId.optional(),
    user_id: accountId.optional(),
    expires_at: seconds.optional(),
    data_access_expires_at: seconds.optional(),
    issued_at: seconds.optional(),
    scopes: permissionList.optional(),
    error: z
      .object({ code: z.number().int().optional(), subcode: z.number().int().optional(), message: z.string().optional() })
      .optional(),
  }),
});

export function parseDebugToken(body: unknown): DebugTokenInfo {
  const d = parse(debugSchema, body, 'debug_token').data;
  return {
    isValid: d.is_valid,
    type: d.type ?? null,
    userId: d.user_id ?? null,
    appId: d.app_id ?? null,
    expiresAt: unixSecondsToDate(d.expires_at),
    dataAccessExpiresAt: unixSecondsToDate(d.data_access_expires_at),
    issuedAt: unixSecondsToDate(d.issued_at),
    scopes: d.scopes ?? [],
    error: d.error ? { code: d.error.code ?? null, subcode: d.error.subcode ?? null, message: d.error.message ?? '' } : null,
  };
}

/** Any `{id}` answer (created objects, containers). */
const idSchema = z.object({ id: accountId });
export function parseId(body: unknown, what: string): string {
  return parse(idSchema, body, what).id;
}

/** A schema-checked read for adapter-specific shapes (identity, pages, containers). */
export function parseShape<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  return parse(schema, body, what);
}

export { accountId, permissionList, seconds };

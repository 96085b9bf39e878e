import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const REDACTED = '[redacted]';

/**
 * Redaction is the second line of defence (code must not put secrets in log objects in the first
 * place), and it is by key name at any depth: `log.info({ password })`, `{ a: { b: { accessToken } } }`
 * and `{ headers: { authorization } }` are all caught. Names are compared lower-cased without `_`
 * and `-`, so `access_token`, `accessToken` and `Access-Token` are one name.
 */
const SECRET_KEYS = new Set([
  'password',
  'passwordhash',
  'apppassword',
  'secret',
  'clientsecret',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'apitoken',
  'csrftoken',
  'xcsrftoken',
  'sessiontoken',
  'invitationtoken',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'codeverifier',
  'encryptionkeys',
  'privatekey',
  'apikey',
  'signature',
]);
/** Any key ending in one of these is a secret too (`oauthTokenSecret`, `pageAccessToken`, `newPassword`). */
const SECRET_SUFFIXES = ['token', 'secret', 'password'];
/**
 * `code` is an OAuth authorization code only inside a request's query, body or parameters; elsewhere
 * (`err.code`: ECONNREFUSED, 23505, FST_ERR_...) it is the diagnosis and stays visible.
 */
const CODE_PARENTS = new Set(['query', 'body', 'params', 'searchparams', 'callback', 'form']);
/** Query parameters of URL strings that carry secrets (Meta and others put tokens in query strings). */
const SECRET_QUERY = /([?&](?:access_token|refresh_token|client_secret|code|token|password|code_verifier|fb_exchange_token|input_token)=)[^&#\s]*/gi;
const MAX_DEPTH = 12;

const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

export function isSecretKey(key: string, parentKey?: string): boolean {
  const k = normalise(key);
  if (SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s))) return true;
  return k === 'code' && parentKey !== undefined && CODE_PARENTS.has(normalise(parentKey));
}

function redactString(value: string): string {
  return value.includes('=') && /^https?:\/\//i.test(value) ? value.replace(SECRET_QUERY, `$1${REDACTED}`) : value;
}

/**
 * A copy of `value` with every secret-named key censored, at any depth. Errors become pino's
 * serialized errors (type, message, stack, code and own fields, causes included) and are walked
 * too. Only plain objects, arrays and errors are walked: class instances (a Fastify request, a
 * Buffer) go to their serializers or JSON as they are. Cycles and very deep objects are cut.
 */
export function redactSecrets(value: unknown, parentKey?: string, seen = new WeakSet<object>(), depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth > MAX_DEPTH) return '[too deep]';
  if (value instanceof Error) {
    seen.add(value);
    // pino's serialized error has its own prototype: copy it into a plain object to walk it.
    return redactSecrets({ ...(stdSerializers.err(value) as object) }, parentKey, seen, depth + 1);
  }
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((v) => redactSecrets(v, parentKey, seen, depth + 1));
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = v !== undefined && v !== null && v !== '' && isSecretKey(key, parentKey) ? REDACTED : redactSecrets(v, key, seen, depth + 1);
  }
  return out;
}

export function createLogger(options: { level: string; destination?: DestinationStream; base?: Record<string, unknown> }): Logger {
  const logger = pino(
    {
      level: options.level,
      base: options.base ?? { app: 'perennial' },
      formatters: {
        log: (object) => redactSecrets(object) as Record<string, unknown>,
      },
      serializers: {
        // Errors were serialized (and redacted) by the log formatter above.
        err: (err: unknown) => (err instanceof Error ? redactSecrets(err) : err),
        // Query strings can carry OAuth codes and tokens (Meta puts them there): log paths only.
        req: (req: { method: string; url: string; id: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.split('?')[0],
        }),
      },
    },
    options.destination,
  );
  // pino formats a child's bindings without the formatters: censor them on the way in. Children
  // inherit this method (pino makes them with Object.create), so grandchildren are covered too.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
}

import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets anywhere in a log object. Redaction is the second line of
 * defence: code must not put tokens in log objects in the first place.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.clientSecret',
  '*.client_secret',
  '*.code',
  '*.codeVerifier',
  '*.code_verifier',
  '*.secret',
  '*.apiToken',
  '*.authorization',
];

export function createLogger(options: { level: string; destination?: DestinationStream; base?: Record<string, unknown> }): Logger {
  return pino(
    {
      level: options.level,
      base: options.base ?? { app: 'perennial' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Query strings can carry OAuth codes and tokens (Meta puts them there): log paths only.
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.split('?')[0],
        }),
      },
    },
    options.destination,
  );
}

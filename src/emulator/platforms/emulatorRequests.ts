import type { FastifyRequest } from 'fastify';
import type { EmulatorCore } from '../core/types.ts';

/** Small request readers shared by the emulator modules of LinkedIn, TikTok, YouTube and Pinterest. */

/** The absolute URL of an emulator path as the caller reached it (`/linkedin/www/dms-uploads/1`). */
export function emulatorUrl(request: FastifyRequest, core: EmulatorCore, path: string): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}${core.prefix}${path}`;
}

/** The bearer token of a request, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization ?? '';
  return /^bearer /i.test(header) ? header.slice(7).trim() : null;
}

import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { sandboxClient } from '../../providers/registry.ts';
import type { PlatformId } from '../../providers/types.ts';

/**
 * The OAuth apps the emulator knows. Every platform starts with Perennial's sandbox app
 * (`sandbox-<platform>`, a confidential client that accepts any redirect URI); Mastodon
 * instances register more through POST /api/v1/apps.
 */
export type EmulatedClient = {
  platform: PlatformId;
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs, or 'any' (the sandbox app: the public URL differs per install). */
  redirectUris: string[] | 'any';
  /** Mastodon: the instance host the app was registered on. */
  instance?: string;
  name?: string;
};

/** How a request authenticated its client (recorded in the request log too). */
export type ClientAuthMethod = 'basic' | 'body' | 'public' | 'none';

export function detectClientAuth(request: FastifyRequest): { method: ClientAuthMethod; clientId?: string; clientSecret?: string } {
  const header = request.headers.authorization ?? '';
  if (/^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const dec = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
    if (i > 0) return { method: 'basic', clientId: dec(decoded.slice(0, i)), clientSecret: dec(decoded.slice(i + 1)) };
  }
  const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
  const query = (request.query ?? {}) as Record<string, unknown>;
  const clientId = body.client_id ?? body.client_key ?? query.client_id;
  const clientSecret = body.client_secret ?? query.client_secret;
  if (typeof clientId === 'string' && typeof clientSecret === 'string') return { method: 'body', clientId, clientSecret };
  if (typeof clientId === 'string') return { method: 'public', clientId };
  return { method: 'none' };
}

export class ClientRegistry {
  #clients = new Map<string, EmulatedClient>();

  constructor(platforms: Iterable<PlatformId>) {
    for (const p of platforms) this.#clients.set(sandboxClient(p).clientId, { platform: p, ...sandboxClient(p), redirectUris: 'any' });
  }

  get(platform: PlatformId, clientId: string | undefined): EmulatedClient | undefined {
    const client = clientId ? this.#clients.get(clientId) : undefined;
    return client?.platform === platform ? client : undefined;
  }

  register(input: Omit<EmulatedClient, 'clientId' | 'clientSecret'>): EmulatedClient {
    const client: EmulatedClient = { ...input, clientId: randomBytes(16).toString('base64url'), clientSecret: randomBytes(24).toString('base64url') };
    this.#clients.set(client.clientId, client);
    return client;
  }

  allowsRedirect(client: EmulatedClient, redirectUri: string | undefined): boolean {
    if (!redirectUri) return false;
    return client.redirectUris === 'any' ? /^https?:\/\//.test(redirectUri) : client.redirectUris.includes(redirectUri);
  }

  /**
   * Checks the client authentication of a token-endpoint request against what the platform
   * accepts. Result 'missing' when no accepted method was used, 'invalid' for a wrong id/secret.
   */
  authenticate(
    platform: PlatformId,
    request: FastifyRequest,
    accepted: ClientAuthMethod[],
  ): { ok: true; client: EmulatedClient; method: ClientAuthMethod } | { ok: false; error: 'missing' | 'invalid' } {
    const auth = detectClientAuth(request);
    if (!accepted.includes(auth.method)) return { ok: false, error: 'missing' };
    const client = this.get(platform, auth.clientId);
    if (!client) return { ok: false, error: 'invalid' };
    if ((auth.method === 'basic' || auth.method === 'body') && auth.clientSecret !== client.clientSecret) return { ok: false, error: 'invalid' };
    return { ok: true, client, method: auth.method };
  }
}

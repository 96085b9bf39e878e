import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { getProvider, providerContext } from '../providers/registry.ts';
import type { PlatformId, ProviderContext } from '../providers/types.ts';
import { getVault } from '../vault/vaultKeys.ts';
import { platformApps } from './schema.ts';

/** The name Perennial registers under on per-instance platforms. */
export const APP_NAME = 'Perennial';

/**
 * The ProviderContext for a per-instance platform (Mastodon): our app on that server, registered
 * on first use (POST /api/v1/apps) and kept (secret vault-encrypted) for every later connect,
 * reconnect and revoke. Platforms without registerApp get the plain context.
 */
export async function instanceProviderContext(ctx: AppContext, platform: PlatformId, instanceUrl: URL | undefined): Promise<ProviderContext> {
  const provider = getProvider(platform);
  const plain = providerContext(ctx, platform, { instanceUrl });
  if (!provider.registerApp || !instanceUrl) return plain;
  const host = instanceUrl.host;
  const where = and(eq(platformApps.platform, platform), eq(platformApps.instanceHost, host), eq(platformApps.redirectUri, plain.redirectUri));
  const [known] = await ctx.db.select().from(platformApps).where(where);
  if (known) {
    const clientSecret = getVault(ctx).decrypt(known.clientSecretEnc, { rowId: known.id, field: 'client_secret' });
    return providerContext(ctx, platform, { instanceUrl, client: { clientId: known.clientId, clientSecret } });
  }
  const app = await provider.registerApp(plain, { appName: APP_NAME, website: ctx.config.publicUrl, scopes: provider.facts.defaultScopes });
  const id = randomUUID();
  const inserted = await ctx.db
    .insert(platformApps)
    .values({
      id,
      platform,
      instanceHost: host,
      redirectUri: plain.redirectUri,
      clientId: app.clientId,
      clientSecretEnc: getVault(ctx).encrypt(app.clientSecret, { rowId: id, field: 'client_secret' }),
      createdAt: ctx.clock.now(),
    })
    .onConflictDoNothing()
    .returning({ id: platformApps.id });
  if (inserted.length === 0) return instanceProviderContext(ctx, platform, instanceUrl); // a concurrent registration won: use its app
  return providerContext(ctx, platform, { instanceUrl, client: app });
}

/**
 * The ProviderContext for an existing connection: the right server and app for per-instance
 * platforms (meta.instanceUrl), the plain context otherwise. Callers that refresh, verify,
 * publish or revoke use this rather than `providerContext` so Mastodon works too.
 */
export async function connectionProviderContext(ctx: AppContext, connection: { platform: string; meta: Record<string, unknown> }): Promise<ProviderContext> {
  const provider = getProvider(connection.platform);
  const instance = typeof connection.meta.instanceUrl === 'string' ? new URL(connection.meta.instanceUrl) : undefined;
  return instanceProviderContext(ctx, provider.facts.id, instance);
}

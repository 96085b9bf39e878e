import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import type { PlatformId, Provider, ProviderContext, ProviderError, StoredCredential } from '../providers/types.ts';

/**
 * What the publishing engine needs from the other domains, as one seam: the platform layer
 * (adapter, its context, the decrypted credential), the lifecycle engine (just-in-time refresh,
 * token failures) and the connection's state. `defaultPublishDeps.ts` wires the real modules;
 * tests may wire an emulator-backed set.
 */
export type ConnectionForPublish = {
  state: 'active' | 'degraded' | 'needs_reconnect' | 'disconnected';
  stateReason: string | null;
};

export type PublishDeps = {
  provider(platform: PlatformId): Provider;
  providerContext(ctx: AppContext, platform: PlatformId): ProviderContext;
  connection(db: Database, connectionId: string): Promise<ConnectionForPublish | null>;
  /**
   * The decrypted credential, its access token valid for at least `validForMs` (lifecycle's
   * just-in-time refresh). Throws AppError 'conflict' when the connection needs reconnecting,
   * 'platform_unavailable' when a refresh failed for now, 'not_found' when it is gone.
   */
  freshCredential(ctx: AppContext, connectionId: string, options: { validForMs: number }): Promise<{ credential: StoredCredential }>;
  /** Hands a token failure the platform reported during publishing to the lifecycle engine. */
  reportTokenFailure(ctx: AppContext, connectionId: string, error: ProviderError): Promise<void>;
};

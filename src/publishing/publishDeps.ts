import type { AppContext } from '../context.ts';
import type { PlatformId, Provider, ProviderContext, ProviderError, StoredCredential } from '../providers/types.ts';

/**
 * What the publishing engine needs from the other domains, as one seam: the platform layer
 * (adapter, its context, the decrypted credential), the lifecycle engine (just-in-time refresh,
 * token failures) and the connection's state. `defaultPublishDeps.ts` wires the real modules;
 * tests may wire an emulator-backed set.
 */
export type ConnectionAccess = {
  state: 'active' | 'degraded' | 'needs_reconnect' | 'disconnected';
  stateReason: string | null;
  /** The decrypted credential when its access token stays valid long enough; null: ask `freshCredential`. */
  credential: StoredCredential | null;
};

export type PublishDeps = {
  provider(platform: PlatformId): Provider;
  providerContext(ctx: AppContext, platform: PlatformId): ProviderContext;
  /**
   * The connections of one claim, read in one query: their state and, where the stored access
   * token stays valid for at least `validForMs`, the credential (no refresh round trip needed).
   * A connection that no longer exists is absent from the map.
   */
  connectionAccess(ctx: AppContext, connectionIds: string[], options: { validForMs: number }): Promise<Map<string, ConnectionAccess>>;
  /**
   * The decrypted credential, its access token valid for at least `validForMs` (lifecycle's
   * just-in-time refresh). Throws only AppError: 'conflict' when the connection needs
   * reconnecting (`details.reason`), 'platform_unavailable' when a renewal failed for now,
   * 'not_found' when it is gone. The lifecycle engine already knows about any of these: the
   * publishing engine never reports them back to it.
   */
  freshCredential(ctx: AppContext, connectionId: string, options: { validForMs: number }): Promise<{ credential: StoredCredential }>;
  /** Hands a token failure the platform reported during publishing to the lifecycle engine. */
  reportTokenFailure(ctx: AppContext, connectionId: string, error: ProviderError): Promise<void>;
};

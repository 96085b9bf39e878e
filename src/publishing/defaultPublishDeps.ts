import { getLifecycleConnection } from '../lifecycle/connectionLifecycleRow.ts';
import { ensureFreshAccess } from '../lifecycle/ensureFreshAccess.ts';
import { reportTokenFailure } from '../lifecycle/reportTokenFailure.ts';
import { getProvider, providerContext } from '../providers/registry.ts';
import type { PublishDeps } from './publishDeps.ts';

/** The real wiring: platform adapters from the registry, the lifecycle engine for tokens. */
export const defaultPublishDeps: PublishDeps = {
  provider: (platform) => getProvider(platform),
  providerContext: (ctx, platform) => providerContext(ctx, platform),
  async connection(db, connectionId) {
    const c = await getLifecycleConnection(db, connectionId);
    return c ? { state: c.state, stateReason: c.stateReason } : null;
  },
  freshCredential: (ctx, connectionId, options) => ensureFreshAccess(ctx, connectionId, options),
  reportTokenFailure: (ctx, connectionId, error) => reportTokenFailure(ctx, connectionId, error),
};

/**
 * Facebook Pages in the emulator: Facebook Login (short → long-lived user token, Page tokens,
 * debug_token with the 90-day data-access expiry), Page publishing, and the deauthorize
 * callback. Sandbox people each manage one or more Pages.
 */
import type { EmulatorPlatformModule } from '../core/types.ts';
import { registerDeauthorizeRoutes } from './meta/deauthorizeRoutes.ts';
import { createFacebookLoginState, registerFacebookLoginRoutes } from './meta/facebookLoginRoutes.ts';
import { META_POLICY } from './meta/graphReplies.ts';
import { registerPagePublishingRoutes } from './meta/pagePublishingRoutes.ts';

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'facebook',
  policy: { ...META_POLICY },
  accounts: [
    {
      id: '10001',
      username: 'sandbox.alice',
      displayName: 'Alice (sandbox)',
      extra: { pages: [{ id: '20001', name: 'Alice Bakery (sandbox)' }, { id: '20002', name: 'Alice Books (sandbox)' }] },
    },
    { id: '10002', username: 'sandbox.bob', displayName: 'Bob (sandbox)', extra: { pages: [{ id: '20003', name: 'Bob Garage (sandbox)' }] } },
  ],
  routes(app, core) {
    const state = createFacebookLoginState('facebook');
    registerFacebookLoginRoutes(app, core, state, 'Facebook');
    registerPagePublishingRoutes(app, core, state);
    registerDeauthorizeRoutes(app, core, 'facebook');
  },
};

/**
 * Instagram through Facebook Login in the emulator: the Facebook Login flow (own grants, so it
 * can be driven apart from Facebook Pages), Pages with linked Instagram professional accounts,
 * and Instagram container publishing on the Facebook Graph host with the Page token.
 */
import type { EmulatorPlatformModule } from '../core/types.ts';
import { registerContainerRoutes } from './meta/containerRoutes.ts';
import { registerDeauthorizeRoutes } from './meta/deauthorizeRoutes.ts';
import { createFacebookLoginState, pagesOf, registerFacebookLoginRoutes } from './meta/facebookLoginRoutes.ts';
import { authenticateGraph, graphError, META_POLICY } from './meta/graphReplies.ts';

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'instagram_fb',
  policy: { ...META_POLICY },
  accounts: [
    {
      id: '11001',
      username: 'sandbox.alice',
      displayName: 'Alice (sandbox)',
      extra: {
        pages: [
          { id: '21001', name: 'Alice Bakery (sandbox)', instagram: { id: '17841400000011001', username: 'alice.bakery.sandbox', name: 'Alice Bakery' } },
          { id: '21002', name: 'Alice Notes (sandbox, no Instagram)' },
        ],
      },
    },
    {
      id: '11002',
      username: 'sandbox.bob',
      displayName: 'Bob (sandbox)',
      extra: { pages: [{ id: '21003', name: 'Bob Garage (sandbox)', instagram: { id: '17841400000011003', username: 'bob.garage.sandbox', name: 'Bob Garage' } }] },
    },
  ],
  routes(app, core) {
    const state = createFacebookLoginState('instagram_fb');
    registerFacebookLoginRoutes(app, core, state, 'Facebook');
    registerDeauthorizeRoutes(app, core, 'instagram_fb');
    registerContainerRoutes(
      app,
      core,
      'instagram_fb',
      {
        createEdge: 'media',
        publishEdge: 'media_publish',
        textField: 'caption',
        statusField: 'status_code',
        textMax: 2200,
        maxChildren: 10,
        allowsText: false,
        permalink: (postId) => `https://www.instagram.com/p/SBX${postId}/`,
      },
      (request, reply, igUserId) => {
        const auth = authenticateGraph(core, 'instagram_fb', request, reply, state.dataAccess);
        if (!auth) return false;
        const page = state.pageTokens.get(auth.token);
        const linked = page && pagesOf(core.account('instagram_fb', page.userId)).find((p) => p.id === page.pageId)?.instagram?.id;
        const mayPublish = request.method !== 'POST' || auth.grant.scopes.includes('instagram_content_publish');
        if (!linked || (igUserId !== null && linked !== igUserId) || !mayPublish) {
          graphError(reply, 403, { message: '(#10) Application does not have permission for this action', code: 10 });
          return false;
        }
        return true;
      },
    );
  },
};

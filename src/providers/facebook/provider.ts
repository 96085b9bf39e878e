/**
 * Facebook Pages adapter. The user's grant yields one account choice per Page they manage; a
 * connection stores that Page's token (no expiry) and the user id (for revocation) in meta.
 */
import { classifyGraphError } from '../meta/graphErrors.ts';
import type { AccountChoice, Provider } from '../types.ts';
import { FACEBOOK_GRAPH_VERSION, facebookFacts, withExtendingExchange } from './facebookFacts.ts';
import {
  exchangeFacebookCode,
  extendFacebookToken,
  facebookAuthorizationUrl,
  facebookGrantKey,
  listFacebookPages,
  pageTokenSet,
  revokeFacebookGrant,
  verifyFacebookToken,
} from './facebookLogin.ts';
import { findRecentPagePost, publishToPage } from './publishToPage.ts';

/**
 * `exchangeExtends`: whether fb_exchange_token on a valid long-lived token moves its expiry
 * (platforms.md [UNC], assumed not). When it does, the lifecycle may use `refresh` to extend
 * expiring tokens; Page tokens from a long-lived user token do not expire either way.
 */
export function createFacebookProvider(options: { graphVersion?: string; exchangeExtends?: boolean } = {}): Provider {
  const version = options.graphVersion ?? FACEBOOK_GRAPH_VERSION;
  const facts = options.exchangeExtends ? withExtendingExchange(facebookFacts) : facebookFacts;
  return {
    facts,
    authorizationUrl: (ctx, input) => facebookAuthorizationUrl(ctx, facts, version, input),

    async exchangeCode(ctx, input) {
      const { userToken, userId } = await exchangeFacebookCode(ctx, facts, version, input.code);
      const pages = await listFacebookPages(ctx, version, userToken.accessToken, 'id,name,access_token,picture{url},tasks');
      const accounts: AccountChoice[] = pages.map((page) => {
        const choice: AccountChoice = {
          platformAccountId: page.id,
          kind: 'page',
          displayName: page.name,
          tokens: pageTokenSet(page.access_token, userToken),
          meta: { userId, pageId: page.id, tasks: page.tasks ?? [] },
        };
        const avatar = page.picture?.data?.url;
        if (avatar) choice.avatarUrl = avatar;
        return choice;
      });
      return { tokens: userToken, accounts };
    },

    refresh: (ctx, credential) => extendFacebookToken(ctx, facts, version, credential),
    verify: (ctx, credential) => verifyFacebookToken(ctx, credential),
    publish: (ctx, credential, post, progress) => publishToPage(ctx, version, facts, credential, post, progress),
    findRecentPost: (ctx, credential, post, since, skip) => findRecentPagePost(ctx, version, credential, post, since, skip),
    revoke: (ctx, credential) => revokeFacebookGrant(ctx, version, credential),
    grantKey: facebookGrantKey,
    classifyError: classifyGraphError,
  };
}

export const provider = createFacebookProvider();

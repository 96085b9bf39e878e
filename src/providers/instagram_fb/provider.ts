/**
 * Instagram through Facebook Login: the Facebook dialog and token exchange, then one account
 * choice per Page that has a linked Instagram professional account. The connection stores the
 * Page token (Postiz does the same) and the Page and user ids in meta; publishing is the
 * Instagram container flow on graph.facebook.com.
 */
import { FACEBOOK_GRAPH_VERSION, withExtendingExchange } from '../facebook/facebookFacts.ts';
import {
  exchangeFacebookCode,
  extendFacebookToken,
  facebookAuthorizationUrl,
  facebookGrantKey,
  listFacebookPages,
  pageTokenSet,
  revokeFacebookGrant,
  verifyFacebookToken,
} from '../facebook/facebookLogin.ts';
import { findRecentInstagramMedia, publishInstagramMedia, type InstagramTarget } from '../instagram/publishMedia.ts';
import { classifyGraphError } from '../meta/graphErrors.ts';
import type { AccountChoice, Provider, ProviderContext, StoredCredential } from '../types.ts';
import { instagramFbFacts } from './instagramFbFacts.ts';

const PAGE_FIELDS = 'id,name,access_token,instagram_business_account{id,username,name,profile_picture_url}';

/**
 * `exchangeExtends`: whether fb_exchange_token on a valid long-lived token moves its expiry
 * (platforms.md [UNC], assumed not). When it does, the lifecycle may use `refresh` to extend
 * expiring tokens; Page tokens from a long-lived user token do not expire either way.
 */
export function createInstagramFbProvider(options: { graphVersion?: string; exchangeExtends?: boolean } = {}): Provider {
  const version = options.graphVersion ?? FACEBOOK_GRAPH_VERSION;
  const facts = options.exchangeExtends ? withExtendingExchange(instagramFbFacts) : instagramFbFacts;
  const target = (ctx: ProviderContext, credential: StoredCredential): InstagramTarget => ({
    graphBase: `${ctx.hosts.graph}/${version}`,
    igUserId: credential.platformAccountId,
    accessToken: credential.accessToken,
  });

  return {
    facts,
    authorizationUrl: (ctx, input) => facebookAuthorizationUrl(ctx, facts, version, input),

    async exchangeCode(ctx, input) {
      const { userToken, userId } = await exchangeFacebookCode(ctx, facts, version, input.code);
      const pages = await listFacebookPages(ctx, version, userToken.accessToken, PAGE_FIELDS);
      // Pages without a linked professional account cannot publish to Instagram: not offered.
      const accounts: AccountChoice[] = pages.flatMap((page) => {
        const ig = page.instagram_business_account;
        if (!ig) return [];
        const choice: AccountChoice = {
          platformAccountId: ig.id,
          kind: 'profile',
          displayName: ig.name || ig.username || page.name,
          tokens: pageTokenSet(page.access_token, userToken),
          meta: { userId, pageId: page.id, pageName: page.name },
        };
        if (ig.username) choice.handle = ig.username;
        if (ig.profile_picture_url) choice.avatarUrl = ig.profile_picture_url;
        return [choice];
      });
      return { tokens: userToken, accounts };
    },

    refresh: (ctx, credential) => extendFacebookToken(ctx, facts, version, credential),
    verify: (ctx, credential) => verifyFacebookToken(ctx, credential),
    publish: (ctx, credential, post, progress) => publishInstagramMedia(ctx, facts, target(ctx, credential), post, progress),
    findRecentPost: (ctx, credential, post, since, skip) => findRecentInstagramMedia(ctx, target(ctx, credential), post, since, skip),
    revoke: (ctx, credential) => revokeFacebookGrant(ctx, version, credential),
    grantKey: facebookGrantKey,
    classifyError: classifyGraphError,
  };
}

export const provider = createInstagramFbProvider();

/**
 * Instagram API with Instagram Login. The code exchange answers in one of three shapes
 * (`data[]`, flat, permissions as string or array); the account is the professional account
 * (`user_id` of /me), which is also the id the publishing endpoints take.
 */
import { z } from 'zod';
import { callGraph } from '../meta/callGraph.ts';
import { classifyGraphError } from '../meta/graphErrors.ts';
import { exchangeForLongLivedToken, refreshLongLivedToken, type LongLivedTokenRules } from '../meta/longLivedToken.ts';
import { accountId, parseInstagramCodeExchange, parseShape } from '../meta/tokenResponses.ts';
import { ProviderError, type AccountChoice, type Provider, type ProviderContext, type StoredCredential } from '../types.ts';
import { INSTAGRAM_GRAPH_VERSION, instagramFacts, instagramTokenRules } from './instagramFacts.ts';
import { findRecentInstagramMedia, publishInstagramMedia, type InstagramTarget } from './publishMedia.ts';

const meSchema = z.object({
  user_id: accountId.optional(),
  id: accountId,
  username: z.string().optional(),
  name: z.string().optional(),
  profile_picture_url: z.string().optional(),
});

/** Meta appends `#_` to the redirect; some browsers keep it in the code. */
export function cleanInstagramCode(code: string): string {
  return code.replace(/#_$/, '');
}

/**
 * `tokenRules` overrides the [UNC] refresh facts (e.g. which Graph codes mean "too young"), so an
 * instance can follow the platform when it documents them.
 */
export function createInstagramProvider(options: { graphVersion?: string; tokenRules?: Partial<LongLivedTokenRules> } = {}): Provider {
  const tokenRules: LongLivedTokenRules = { ...instagramTokenRules, ...options.tokenRules };
  const version = options.graphVersion ?? INSTAGRAM_GRAPH_VERSION;
  const facts = instagramFacts;
  const graphBase = (ctx: ProviderContext) => `${ctx.hosts.graph}/${version}`;
  const target = (ctx: ProviderContext, credential: StoredCredential): InstagramTarget => ({
    graphBase: graphBase(ctx),
    igUserId: credential.platformAccountId,
    accessToken: credential.accessToken,
  });
  const me = (ctx: ProviderContext, token: string) =>
    callGraph(
      ctx,
      { method: 'GET', url: `${graphBase(ctx)}/me`, query: { fields: 'user_id,username,name,profile_picture_url', access_token: token }, what: 'Instagram profile' },
      (body) => parseShape(meSchema, body, 'Instagram profile'),
    );

  return {
    facts,
    authorizationUrl(ctx, input) {
      if (!ctx.client) throw new ProviderError('app_misconfigured', 'client_missing', 'Instagram has no app credentials configured');
      const url = new URL(`${ctx.hosts.www}/oauth/authorize`);
      url.searchParams.set('client_id', ctx.client.clientId);
      url.searchParams.set('redirect_uri', ctx.redirectUri);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('scope', (input.scopes ?? facts.defaultScopes).join(facts.scopeSeparator));
      url.searchParams.set('state', input.state);
      return url;
    },

    async exchangeCode(ctx, input) {
      if (!ctx.client) throw new ProviderError('app_misconfigured', 'client_missing', 'Instagram has no app credentials configured');
      const short = await callGraph(
        ctx,
        {
          method: 'POST',
          url: `${ctx.hosts.api}/oauth/access_token`,
          form: {
            client_id: ctx.client.clientId,
            client_secret: ctx.client.clientSecret,
            grant_type: 'authorization_code',
            redirect_uri: ctx.redirectUri,
            code: cleanInstagramCode(input.code),
          },
          what: 'Instagram code exchange',
        },
        parseInstagramCodeExchange,
      );
      const tokens = await exchangeForLongLivedToken(ctx, tokenRules, short.accessToken, short.permissions);
      const profile = await me(ctx, tokens.accessToken);
      const account: AccountChoice = {
        platformAccountId: profile.user_id ?? profile.id,
        kind: 'profile',
        displayName: profile.name || profile.username || 'Instagram account',
        // /me's `id` is the app-scoped id, as a string (the code exchange may send it as a rounded number).
        meta: { appScopedUserId: profile.id },
      };
      if (profile.username) account.handle = profile.username;
      if (profile.profile_picture_url) account.avatarUrl = profile.profile_picture_url;
      return { tokens, accounts: [account] };
    },

    refresh: (ctx, credential) => refreshLongLivedToken(ctx, tokenRules, credential),

    async verify(ctx, credential) {
      try {
        const profile = await me(ctx, credential.accessToken);
        const id = profile.user_id ?? profile.id;
        if (id !== credential.platformAccountId) return { valid: false, reason: 'account_mismatch' };
        return { valid: true, accessExpiresAt: credential.accessExpiresAt, scopes: credential.scopes };
      } catch (err) {
        if (err instanceof ProviderError && err.errorClass === 'reconnect_needed') return { valid: false, reason: err.reason };
        throw err;
      }
    },

    publish: (ctx, credential, post, progress) => publishInstagramMedia(ctx, facts, target(ctx, credential), post, progress),
    findRecentPost: (ctx, credential, post, since, skip) => findRecentInstagramMedia(ctx, target(ctx, credential), post, since, skip),
    classifyError: classifyGraphError,
  };
}

export const provider = createInstagramProvider();

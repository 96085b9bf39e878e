/**
 * Threads adapter: code → 1 h token (POST, form body) → 60 d token (th_exchange_token), then
 * refreshed in place (th_refresh_token). The token responses carry no scopes, and the Threads
 * consent grants what was asked or nothing, so the requested scopes are recorded.
 */
import { z } from 'zod';
import { callGraph } from '../meta/callGraph.ts';
import { classifyGraphError } from '../meta/graphErrors.ts';
import { exchangeForLongLivedToken, refreshLongLivedToken, type LongLivedTokenRules } from '../meta/longLivedToken.ts';
import { accountId, parseShape, parseThreadsCodeExchange } from '../meta/tokenResponses.ts';
import { ProviderError, type AccountChoice, type Provider, type ProviderContext } from '../types.ts';
import { findRecentThread, publishThread } from './publishThread.ts';
import { THREADS_GRAPH_VERSION, threadsFacts, threadsTokenRules } from './threadsFacts.ts';

const meSchema = z.object({
  id: accountId,
  username: z.string().optional(),
  name: z.string().optional(),
  threads_profile_picture_url: z.string().optional(),
});

/**
 * `tokenRules` overrides the [UNC] refresh facts (e.g. which Graph codes mean "too young"), so an
 * instance can follow the platform when it documents them.
 */
export function createThreadsProvider(options: { graphVersion?: string; tokenRules?: Partial<LongLivedTokenRules> } = {}): Provider {
  const tokenRules: LongLivedTokenRules = { ...threadsTokenRules, ...options.tokenRules };
  const version = options.graphVersion ?? THREADS_GRAPH_VERSION;
  const facts = threadsFacts;
  const me = (ctx: ProviderContext, token: string) =>
    callGraph(
      ctx,
      {
        method: 'GET',
        url: `${ctx.hosts.graph}/${version}/me`,
        query: { fields: 'id,username,name,threads_profile_picture_url', access_token: token },
        what: 'Threads profile',
      },
      (body) => parseShape(meSchema, body, 'Threads profile'),
    );

  return {
    facts,
    authorizationUrl(ctx, input) {
      if (!ctx.client) throw new ProviderError('app_misconfigured', 'client_missing', 'Threads has no app credentials configured');
      const url = new URL(`${ctx.hosts.www}/oauth/authorize`);
      url.searchParams.set('client_id', ctx.client.clientId);
      url.searchParams.set('redirect_uri', ctx.redirectUri);
      url.searchParams.set('scope', (input.scopes ?? facts.defaultScopes).join(facts.scopeSeparator));
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('state', input.state);
      return url;
    },

    async exchangeCode(ctx, input) {
      if (!ctx.client) throw new ProviderError('app_misconfigured', 'client_missing', 'Threads has no app credentials configured');
      const short = await callGraph(
        ctx,
        {
          method: 'POST',
          url: `${ctx.hosts.graph}/oauth/access_token`,
          form: {
            client_id: ctx.client.clientId,
            client_secret: ctx.client.clientSecret,
            code: input.code.replace(/#_$/, ''),
            grant_type: 'authorization_code',
            redirect_uri: ctx.redirectUri,
          },
          what: 'Threads code exchange',
        },
        parseThreadsCodeExchange,
      );
      const tokens = await exchangeForLongLivedToken(ctx, tokenRules, short.accessToken, facts.defaultScopes);
      const profile = await me(ctx, tokens.accessToken);
      const account: AccountChoice = { platformAccountId: profile.id, kind: 'profile', displayName: profile.name || profile.username || 'Threads account' };
      if (profile.username) account.handle = profile.username;
      if (profile.threads_profile_picture_url) account.avatarUrl = profile.threads_profile_picture_url;
      return { tokens, accounts: [account] };
    },

    refresh: (ctx, credential) => refreshLongLivedToken(ctx, tokenRules, credential),

    async verify(ctx, credential) {
      try {
        const profile = await me(ctx, credential.accessToken);
        if (profile.id !== credential.platformAccountId) return { valid: false, reason: 'account_mismatch' };
        return { valid: true, accessExpiresAt: credential.accessExpiresAt, scopes: credential.scopes };
      } catch (err) {
        if (err instanceof ProviderError && err.errorClass === 'reconnect_needed') return { valid: false, reason: err.reason };
        throw err;
      }
    },

    publish: (ctx, credential, post, progress) => publishThread(ctx, version, facts, credential, post, progress),
    findRecentPost: (ctx, credential, post, since, skip) => findRecentThread(ctx, version, credential, post, since, skip),
    classifyError: classifyGraphError,
  };
}

export const provider = createThreadsProvider();

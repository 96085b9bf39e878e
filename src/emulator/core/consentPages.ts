import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock } from '../../clock.ts';
import type { PlatformId } from '../../providers/types.ts';
import type { GrantStore } from './grantStore.ts';
import type { FakeAccount } from './types.ts';

/**
 * The consent page every emulated platform shows: a real HTML page listing the platform's fake
 * accounts, with Allow and Deny. Allow redirects to the app with `code` and `state`; Deny with
 * `error=access_denied`. Platform modules validate the request (client, redirect URI, scopes)
 * and then call `show`.
 */
export type ConsentRequest = {
  platform: PlatformId;
  platformName: string;
  clientId: string;
  clientName?: string;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
};

type Pending = ConsentRequest & { id: string; expiresAtMs: number };

const PENDING_TTL_MS = 30 * 60_000;

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export class ConsentPages {
  #pending = new Map<string, Pending>();
  readonly #clock: Clock;
  readonly #grants: GrantStore;
  readonly #accounts: (platform: PlatformId) => FakeAccount[];
  readonly #prefix: string;

  constructor(deps: { clock: Clock; grants: GrantStore; accounts: (platform: PlatformId) => FakeAccount[]; prefix: string }) {
    this.#clock = deps.clock;
    this.#grants = deps.grants;
    this.#accounts = deps.accounts;
    this.#prefix = deps.prefix;
  }

  clear(): void {
    this.#pending.clear();
  }

  /** Renders the consent page for a validated authorization request. */
  show(reply: FastifyReply, request: ConsentRequest): FastifyReply {
    const id = randomBytes(16).toString('base64url');
    this.#pending.set(id, { ...request, id, expiresAtMs: this.#clock.nowMs() + PENDING_TTL_MS });
    const accounts = this.#accounts(request.platform);
    const rows = accounts
      .map(
        (a, i) => `<label class="account"><input type="radio" name="account" value="${escapeHtml(a.id)}"${i === 0 ? ' checked' : ''}>
  <span class="name">${escapeHtml(a.displayName)}</span> <span class="handle">@${escapeHtml(a.username)}</span></label>`,
      )
      .join('\n');
    const scopes = request.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(request.platformName)} (sandbox): authorize ${escapeHtml(request.clientName ?? 'Perennial')}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}label.account{display:block;padding:.5rem;border:1px solid #ccc;border-radius:.4rem;margin:.4rem 0}.handle{color:#666}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}</style>
</head><body>
<p><strong>${escapeHtml(request.platformName)}</strong> · sandbox emulator</p>
<h1>Authorize ${escapeHtml(request.clientName ?? 'Perennial')}?</h1>
<p>It asks for:</p><ul class="scopes">${scopes}</ul>
<form method="post" action="${escapeHtml(`${this.#prefix}/_consent/${id}`)}">
<fieldset><legend>Continue as</legend>
${rows}
</fieldset>
<p><button type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button></p>
</form>
</body></html>`;
    return reply.type('text/html; charset=utf-8').send(html);
  }

  /** POST <prefix>/_consent/:id (registered by the core). */
  routes(app: FastifyInstance): void {
    app.post('/_consent/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = (request.body ?? {}) as { decision?: string; account?: string };
      const pending = this.#pending.get(id);
      if (!pending || this.#clock.nowMs() >= pending.expiresAtMs) {
        return reply.status(400).type('text/html; charset=utf-8').send('<!doctype html><p>This authorization request has expired. Start again from the app.</p>');
      }
      this.#pending.delete(id);
      const target = new URL(pending.redirectUri);
      if (body.decision !== 'allow') {
        target.searchParams.set('error', 'access_denied');
        target.searchParams.set('error_description', 'The user denied the request');
      } else {
        const account = this.#accounts(pending.platform).find((a) => a.id === body.account);
        if (!account) return reply.status(400).type('text/html; charset=utf-8').send('<!doctype html><p>Choose an account.</p>');
        const code = this.#grants.issueCode({
          platform: pending.platform,
          clientId: pending.clientId,
          redirectUri: pending.redirectUri,
          scopes: pending.scopes,
          accountId: account.id,
          codeChallenge: pending.codeChallenge,
          codeChallengeMethod: pending.codeChallengeMethod,
        });
        target.searchParams.set('code', code);
      }
      if (pending.state !== undefined) target.searchParams.set('state', pending.state);
      return reply.redirect(target.toString(), 303);
    });
  }
}

/**
 * Drives the consent page without a browser (for tests): fetches `authorizationUrl`, picks
 * `accountId` (or denies) and returns the redirect the platform would send the browser to.
 */
export async function answerConsent(authorizationUrl: string | URL, decision: { accountId: string } | 'deny'): Promise<URL> {
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  if (page.status !== 200) throw new Error(`the authorize endpoint answered ${page.status}: ${await page.text()}`);
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error('no consent form on the page');
  const form = new URLSearchParams(decision === 'deny' ? { decision: 'deny' } : { decision: 'allow', account: decision.accountId });
  const answer = await fetch(new URL(action.replace(/&amp;/g, '&'), authorizationUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  const location = answer.headers.get('location');
  if (answer.status !== 303 || !location) throw new Error(`consent answered ${answer.status}: ${await answer.text()}`);
  return new URL(location);
}

/**
 * Test support for the Meta adapters' emulator tests (imported by *.test.ts only): drive the
 * consent page, turn a connect result into the StoredCredential the vault would hand back, and
 * catch ProviderErrors.
 */
import assert from 'node:assert/strict';
import { answerConsent } from '../../emulator/core/consentPages.ts';
import type { SandboxForTests } from '../../emulator/platforms/sandboxForTests.ts';
import { ProviderError, type AccountChoice, type Provider, type StoredCredential, type TokenSet } from '../types.ts';

/** Authorize as `accountId` on the consent page and exchange the code. */
export async function connectThroughConsent(sb: SandboxForTests, provider: Provider, accountId: string, state = 'state-1') {
  const url = provider.authorizationUrl(sb.ctx, { state });
  const redirect = await answerConsent(url, { accountId });
  assert.equal(redirect.searchParams.get('state'), state);
  const code = redirect.searchParams.get('code');
  assert.ok(code, 'the consent page gave no code');
  return { ...(await provider.exchangeCode(sb.ctx, { code })), code };
}

/** What the connection would store for `choice` (its own tokens when it has some, else the grant's). */
export function storedCredential(grant: TokenSet, choice: AccountChoice): StoredCredential {
  const tokens = choice.tokens ?? grant;
  return {
    accessToken: tokens.accessToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshToken: tokens.refreshToken ?? null,
    refreshExpiresAt: tokens.refreshExpiresAt ?? null,
    issuedAt: tokens.issuedAt,
    scopes: tokens.scopes,
    platformAccountId: choice.platformAccountId,
    meta: choice.meta ?? {},
  };
}

export async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

/**
 * The accounts a LinkedIn grant can post as: the member (OIDC userinfo) and, when the grant has
 * the organization scopes, every organization the member administers. Account ids are URNs
 * (`urn:li:person:…`, `urn:li:organization:…`), which are also the post `author`.
 */
import { ProviderError, type AccountChoice, type ProviderContext, type TokenSet } from '../types.ts';
import { linkedinGet } from './linkedinApi.ts';
import { LINKEDIN_ORGANIZATION_SCOPES, linkedinPaths } from './linkedinFacts.ts';

export async function fetchMember(ctx: ProviderContext, accessToken: string): Promise<AccountChoice> {
  const me = await linkedinGet(ctx, linkedinPaths.userinfo, accessToken);
  if (typeof me.sub !== 'string' || me.sub === '') {
    throw new ProviderError('transient', 'malformed_response', 'LinkedIn userinfo has no member id');
  }
  return {
    platformAccountId: `urn:li:person:${me.sub}`,
    kind: 'user',
    displayName: typeof me.name === 'string' && me.name ? me.name : 'LinkedIn member',
    ...(typeof me.picture === 'string' ? { avatarUrl: me.picture } : {}),
  };
}

async function fetchOrganizations(ctx: ProviderContext, accessToken: string): Promise<AccountChoice[]> {
  let acls: Record<string, unknown>;
  try {
    acls = await linkedinGet(ctx, `${linkedinPaths.organizationAcls}?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED`, accessToken);
  } catch (err) {
    // An app not approved for the organization APIs answers 403: the member can still be connected.
    if (err instanceof ProviderError && err.httpStatus === 403) return [];
    throw err;
  }
  const elements = Array.isArray(acls.elements) ? (acls.elements as Record<string, unknown>[]) : [];
  const choices: AccountChoice[] = [];
  for (const acl of elements) {
    const urn = typeof acl.organization === 'string' ? acl.organization : '';
    const id = /^urn:li:organization:(\d+)$/.exec(urn)?.[1];
    if (!id) continue;
    const org = await linkedinGet(ctx, linkedinPaths.organization(id), accessToken);
    choices.push({
      platformAccountId: urn,
      kind: 'organization',
      displayName: typeof org.localizedName === 'string' && org.localizedName ? org.localizedName : `Organization ${id}`,
      ...(typeof org.vanityName === 'string' ? { handle: org.vanityName } : {}),
    });
  }
  return choices;
}

export async function listLinkedInAccounts(ctx: ProviderContext, tokens: TokenSet): Promise<AccountChoice[]> {
  const member = await fetchMember(ctx, tokens.accessToken);
  const canAdminister = LINKEDIN_ORGANIZATION_SCOPES.every((s) => tokens.scopes.includes(s));
  return canAdminister ? [member, ...(await fetchOrganizations(ctx, tokens.accessToken))] : [member];
}

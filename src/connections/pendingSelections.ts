import { randomUUID } from 'node:crypto';
import { and, eq, isNull, lte } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import { getProvider } from '../providers/registry.ts';
import type { AccountChoice, TokenSet } from '../providers/types.ts';
import { getVault } from '../vault/vaultKeys.ts';
import { isUuid } from '../workspaces/membership.ts';
import type { ConnectionRow } from './connectionsRepo.ts';
import { pendingAccountSelections } from './schema.ts';
import { storeGrant } from './storeGrant.ts';

/** How long a user has to pick a Page / organization after authorising. */
export const SELECTION_TTL_MS = 30 * 60_000;

type ParkedGrant = { tokens: TokenSet; accounts: AccountChoice[]; app: string | null; meta?: Record<string, unknown> };

/** Parks a multi-account grant: the choices in clear (no secrets), the tokens vault-encrypted. */
export async function createPendingSelection(
  ctx: AppContext,
  input: { userId: string; workspaceId: string; platform: string; connectionId: string | null; app: string | null; meta?: Record<string, unknown>; exchanged: { tokens: TokenSet; accounts: AccountChoice[] } },
) {
  const id = randomUUID();
  const now = ctx.clock.now();
  const accounts = input.exchanged.accounts.map((a) => ({ platformAccountId: a.platformAccountId, kind: a.kind, displayName: a.displayName, ...(a.handle ? { handle: a.handle } : {}) }));
  const parked: ParkedGrant = { tokens: input.exchanged.tokens, accounts: input.exchanged.accounts, app: input.app, meta: input.meta };
  await ctx.db.insert(pendingAccountSelections).values({
    id,
    userId: input.userId,
    workspaceId: input.workspaceId,
    platform: input.platform,
    connectionId: input.connectionId,
    accounts,
    grantEnc: getVault(ctx).encrypt(JSON.stringify(parked), { rowId: id, field: 'grant' }),
    expiresAt: new Date(now.getTime() + SELECTION_TTL_MS),
    createdAt: now,
  });
  return { id, accounts };
}

function reviveTokens(t: TokenSet): TokenSet {
  const date = (v: unknown) => (v === null || v === undefined ? (v as null | undefined) : new Date(v as string));
  return {
    ...t,
    accessExpiresAt: date(t.accessExpiresAt) ?? null,
    refreshExpiresAt: date(t.refreshExpiresAt),
    issuedAt: new Date(t.issuedAt),
    dataAccessExpiresAt: date(t.dataAccessExpiresAt),
    hardEndAt: date(t.hardEndAt),
  };
}

/**
 * The user picked one account of a parked grant: it becomes a connection (once: the selection
 * is consumed, and every offered account's tokens erased, in the same transaction). An expired
 * choice has its tokens erased too, and answers `invalid_state`.
 */
export async function selectAccount(
  ctx: AppContext,
  input: { userId: string; workspaceId: string; selectionId: string; platformAccountId: string },
): Promise<{ connection: ConnectionRow; created: boolean }> {
  if (!isUuid(input.selectionId)) throw new AppError('not_found', 'No such account choice (it may have been used already)');
  const now = ctx.clock.now();
  const mine = and(
    eq(pendingAccountSelections.id, input.selectionId),
    eq(pendingAccountSelections.workspaceId, input.workspaceId),
    eq(pendingAccountSelections.userId, input.userId),
    isNull(pendingAccountSelections.usedAt),
  );
  return ctx.db
    .transaction(async (tx) => {
      // Locks the row: of two picks racing, the second sees it used once the first commits.
      const [row] = await tx.select().from(pendingAccountSelections).where(mine).for('update');
      if (!row) throw new AppError('not_found', 'No such account choice (it may have been used already)');
      if (row.expiresAt.getTime() <= now.getTime() || row.grantEnc === null) throw new AppError('invalid_state', 'This account choice expired; connect again');
      const parked = JSON.parse(getVault(ctx).decrypt(row.grantEnc, { rowId: row.id, field: 'grant' })) as ParkedGrant;
      const account = parked.accounts.find((a) => a.platformAccountId === input.platformAccountId);
      if (!account) throw new AppError('bad_request', 'That account was not part of this authorization');
      await tx.update(pendingAccountSelections).set({ usedAt: now, grantEnc: null }).where(eq(pendingAccountSelections.id, row.id));
      return storeGrant(ctx, tx, {
        userId: input.userId,
        workspaceId: row.workspaceId,
        facts: getProvider(row.platform).facts,
        account: { ...account, tokens: account.tokens ? reviveTokens(account.tokens) : undefined },
        tokens: reviveTokens(parked.tokens),
        connectionId: row.connectionId,
        appClientId: parked.app,
        meta: parked.meta,
      });
    })
    .catch(async (err: unknown) => {
      // An expired choice keeps nothing: its tokens are erased now rather than at the next sweep.
      if (err instanceof AppError && err.code === 'invalid_state') {
        await ctx.db.update(pendingAccountSelections).set({ grantEnc: null }).where(and(mine, lte(pendingAccountSelections.expiresAt, now)));
      }
      throw err;
    });
}

/** What the account picker shows: the choices (never a token) of an unused, unexpired selection. */
export async function getPendingSelection(db: Database, input: { userId: string; workspaceId: string; selectionId: string; now: Date }) {
  const notFound = new AppError('not_found', 'No such account choice; connect again');
  if (!isUuid(input.selectionId)) throw notFound;
  const [row] = await db
    .select()
    .from(pendingAccountSelections)
    .where(and(eq(pendingAccountSelections.id, input.selectionId), eq(pendingAccountSelections.workspaceId, input.workspaceId), eq(pendingAccountSelections.userId, input.userId)));
  if (!row) throw notFound;
  if (row.usedAt) throw new AppError('invalid_state', 'This account choice was already used; connect again to add another account');
  if (row.expiresAt.getTime() <= input.now.getTime() || row.grantEnc === null) throw new AppError('invalid_state', 'This account choice expired; connect again');
  return { selectionId: row.id, workspaceId: row.workspaceId, platform: row.platform, accounts: row.accounts, expiresAt: row.expiresAt };
}

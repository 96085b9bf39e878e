import { eq } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { instanceSettings } from './schema.ts';

export type InstanceSettings = { openSignUp: boolean };

const SETTINGS_ID = 1;

/** Defaults apply until the instance owner first changes a setting. Sign-up is by invitation unless opened. */
export async function getInstanceSettings(db: Database): Promise<InstanceSettings> {
  const [row] = await db.select().from(instanceSettings).where(eq(instanceSettings.id, SETTINGS_ID));
  return { openSignUp: row?.openSignUp ?? false };
}

export async function updateInstanceSettings(db: Database, changes: Partial<InstanceSettings>, now: Date): Promise<InstanceSettings> {
  const current = await getInstanceSettings(db);
  const next = { ...current, ...changes };
  await db
    .insert(instanceSettings)
    .values({ id: SETTINGS_ID, openSignUp: next.openSignUp, updatedAt: now })
    .onConflictDoUpdate({ target: instanceSettings.id, set: { openSignUp: next.openSignUp, updatedAt: now } });
  return next;
}

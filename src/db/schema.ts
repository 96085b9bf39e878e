/**
 * Every table, for drizzle-kit (migrations) and for typed queries. Each domain keeps its tables
 * in its own `schema.ts`; this file only gathers them.
 */
export * from './systemSchema.ts';
export * from '../posts/schema.ts';
export * from '../campaigns/schema.ts';
export * from '../media/schema.ts';
export * from '../lifecycle/schema.ts';
export * from '../alerts/schema.ts';
export * from '../webhooks/schema.ts';
export * from '../publishing/schema.ts';
export * from '../accounts/schema.ts';
export * from '../workspaces/schema.ts';
export * from '../connections/schema.ts';

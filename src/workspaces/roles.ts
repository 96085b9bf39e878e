import { z } from 'zod';

/** Workspace roles, strongest first: owner > admin > editor > viewer. */
export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

const RANK: Record<Role, number> = { owner: 4, admin: 3, editor: 2, viewer: 1 };

export function roleAtLeast(role: Role, minRole: Role): boolean {
  return RANK[role] >= RANK[minRole];
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * What the app knows about who is signed in: the user, their workspaces, and the workspace
 * they are working in (remembered in localStorage per browser).
 */
import { ApiError, get, setCsrfToken } from './api.js';

const CURRENT_KEY = 'perennial.workspace';

export const session = {
  /** @type {{ id: string, email: string, name: string, isInstanceOwner: boolean } | null} */
  user: null,
  /** @type {{ id: string, name: string, timeZone: string, role: string }[]} */
  workspaces: [],
  /** Archived workspaces (read-only until an owner unarchives them), listed apart. */
  archived: [],
  /** @type {string | null} */
  workspaceId: null,
};

/** Loads the session; false when nobody is signed in. */
export async function loadSession() {
  try {
    const me = await get('/api/session');
    session.user = me.user;
    setCsrfToken(me.csrfToken);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.code === 'session_expired')) {
      signedOut();
      return false;
    }
    throw err;
  }
  await loadWorkspaces();
  return true;
}

export function signedIn(result) {
  session.user = result.user;
  setCsrfToken(result.csrfToken);
}

export function signedOut() {
  session.user = null;
  session.workspaces = [];
  session.archived = [];
  session.workspaceId = null;
  setCsrfToken(null);
}

export async function loadWorkspaces() {
  const { workspaces, archived } = await get('/api/workspaces');
  session.workspaces = workspaces;
  session.archived = archived ?? [];
  const remembered = localStorage.getItem(CURRENT_KEY);
  const keep = workspaces.find((w) => w.id === (session.workspaceId ?? remembered));
  selectWorkspace(keep ? keep.id : (workspaces[0]?.id ?? null));
}

export function selectWorkspace(id) {
  session.workspaceId = id;
  if (id) localStorage.setItem(CURRENT_KEY, id);
}

/** The current workspace, or null when the user has none yet. */
export function currentWorkspace() {
  return session.workspaces.find((w) => w.id === session.workspaceId) ?? null;
}

/** One of the user's active workspaces by id, or null. */
export function workspaceOf(id) {
  return session.workspaces.find((w) => w.id === id) ?? null;
}

export function workspaceName(id) {
  return session.workspaces.find((w) => w.id === id)?.name ?? 'another workspace';
}

const RANK = { owner: 4, admin: 3, editor: 2, viewer: 1 };

/**
 * Whether the user's role in `workspace` is `minRole` or stronger (src/workspaces/roles.ts).
 * The app hides what a role may not do; the API refuses it anyway.
 */
export function hasRole(minRole, workspace = currentWorkspace()) {
  return !!workspace && (RANK[workspace.role] ?? 0) >= RANK[minRole];
}

/** Editors and above may change content and connections. */
export function canEdit(workspace = currentWorkspace()) {
  return hasRole('editor', workspace);
}

/** Admins and owners manage members, invitations, settings, webhooks, the access register, disconnects. */
export function canAdmin(workspace = currentWorkspace()) {
  return hasRole('admin', workspace);
}

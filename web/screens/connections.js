/**
 * The connections screen: every connection of the workspace with its health (state, access
 * expiry, hard end, last and next refresh), who connected it and when, its scopes; Reconnect and
 * Disconnect; the connect panel (connectPanel.js). It also shows the outcome the OAuth callback
 * sends back in the query (?connected, ?reconnected, ?select, ?error) and, after a reconnect
 * (or with ?missed=<id>), the posts whose time passed meanwhile (missedPosts.js).
 */
import { api, get, post } from '../api.js';
import { busy, h, render, toast } from '../dom.js';
import { navigate, refresh } from '../navigation.js';
import { healthBadge, platformLabel, refreshPurposeLabel } from '../platforms.js';
import { canAdmin, canEdit, currentWorkspace, selectWorkspace } from '../session.js';
import { formatInstant, relative } from '../time.js';
import { connectPanel } from './connectPanel.js';
import { missedPostsPanel } from './missedPosts.js';
import { showAccountSelection } from './selectAccount.js';

/** Starts a reconnect and leaves for the platform's consent page (same window). */
export async function beginReconnect(workspaceId, connectionId) {
  const { authorizationUrl } = await post(`/api/workspaces/${workspaceId}/connections/${connectionId}/reconnect`);
  location.assign(authorizationUrl);
}

/** /connections/:id/reconnect, the link of alert emails: finds the connection's workspace and reconnects. */
export async function startReconnect(main, connectionId) {
  render(main, h('p', { class: 'loading' }, 'Opening the platform to reconnect…'));
  const { items } = await get('/api/me/connections-health');
  const found = items.find((i) => i.connectionId === connectionId);
  if (!found) {
    render(main, h('div', { class: 'panel', role: 'alert' }, h('h1', null, 'Connection not found'), h('p', null, 'It does not exist or belongs to a workspace you are not a member of.')));
    return;
  }
  selectWorkspace(found.workspaceId);
  if (found.platform === 'bluesky') return navigate(`/connections?reconnect=${connectionId}`, { replace: true });
  await beginReconnect(found.workspaceId, connectionId);
}

export async function renderConnections(main) {
  const workspace = currentWorkspace();
  const base = `/api/workspaces/${workspace.id}`;
  const params = new URL(location.href).searchParams;
  const [{ connections }, { items: health }, { platforms }, { members }] = await Promise.all([
    get(`${base}/connections`),
    get(`${base}/connections-health`),
    get('/api/platforms'),
    get(`${base}/members`),
  ]);
  const byId = new Map(connections.map((c) => [c.id, c]));
  const editable = canEdit(workspace);
  const notice = callbackNotice(byId);
  const rows = health.filter((item) => byId.has(item.connectionId));
  const people = new Map(members.map((m) => [m.userId, m.name || m.email]));
  // After a reconnect, the posts whose time passed meanwhile; the panel keeps its address (?missed).
  const missedId = params.get('missed') ?? params.get('reconnected');
  const missed = missedId && byId.has(missedId) ? await missedPostsPanel(workspace, byId.get(missedId), editable) : null;

  render(
    main,
    h('div', { class: 'screen-head' },
      h('h1', null, 'Connections'),
      h('p', { class: 'sub' }, workspace.name),
      canAdmin(workspace) ? h('a', { class: 'button secondary', href: '/settings/access-register' }, 'Access register') : null,
    ),
    notice,
    missed,
    rows.length === 0
      ? h('p', { class: 'empty' }, 'No account is connected yet. Connect one below.')
      : h('div', { class: 'table-wrap' }, connectionsTable(rows, byId, platforms, workspace, editable, people)),
    editable ? connectPanel(platforms, workspace) : h('p', { class: 'hint' }, 'You are a viewer in this workspace: connecting accounts needs the editor role.'),
  );

  if (params.get('select')) await showAccountSelection(workspace.id, params.get('select'));
  const reconnectId = params.get('reconnect');
  if (reconnectId && byId.has(reconnectId)) main.querySelector(`[data-password-form]`)?.scrollIntoView();
  const keep = reconnectId ? `?reconnect=${reconnectId}` : missed ? `?missed=${missedId}` : '';
  if (params.size) history.replaceState(null, '', `/connections${keep}`);
}

function callbackNotice(byId) {
  const params = new URL(location.href).searchParams;
  const name = (id) => {
    const c = byId.get(id);
    return c ? `${c.displayName} on ${platformLabel(c.platform)}` : 'The account';
  };
  if (params.get('connected')) return h('p', { class: 'notice notice-ok', role: 'status' }, `${name(params.get('connected'))} is connected.`);
  if (params.get('reconnected')) return h('p', { class: 'notice notice-ok', role: 'status' }, `${name(params.get('reconnected'))} is reconnected. Paused posts resume.`);
  if (params.get('error')) {
    const message = params.get('message') || 'The connection could not be completed.';
    return h('p', { class: 'notice notice-error', role: 'alert' }, `${message} (${params.get('error')})`);
  }
  return null;
}

function connectionsTable(rows, byId, platforms, workspace, editable, people) {
  const tz = workspace.timeZone;
  const modeOf = (id) => platforms.find((p) => p.id === id);
  return h(
    'table',
    { class: 'connections' },
    h('caption', { class: 'visually-hidden' }, 'Connections, most urgent first'),
    h('thead', null, h('tr', null, ['Platform', 'Account', 'State', 'Access expires', 'Hard end', 'Last refresh', 'Next refresh', 'Connected', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      null,
      rows.map((item) => {
        const c = byId.get(item.connectionId);
        const platform = modeOf(c.platform);
        return h(
          'tr',
          { dataset: { connectionId: c.id, status: item.status } },
          h('td', null, platformLabel(c.platform), platform?.mode === 'sandbox' ? h('span', { class: 'tag' }, 'sandbox') : null),
          h('td', null, h('strong', null, c.displayName), c.handle ? h('div', { class: 'muted' }, `@${c.handle}`) : null, h('div', { class: 'muted' }, c.kind)),
          h('td', null, healthBadge(h, item.status), item.status !== 'healthy' && (item.stateReason || item.lastError) ? h('div', { class: 'muted reason' }, item.stateReason ?? item.lastError) : null),
          h('td', null, instantCell(item.accessExpiresAt, tz)),
          h('td', null, instantCell(item.endsAt, tz), item.endReason ? h('div', { class: 'muted' }, item.endReason) : null),
          h('td', null, instantCell(item.lastRefreshedAt, tz)),
          h('td', null, instantCell(item.nextRefreshAt, tz), refreshPurposeLabel(item.nextRefreshPurpose) ? h('div', { class: 'muted' }, refreshPurposeLabel(item.nextRefreshPurpose)) : null),
          h('td', { class: 'connected' }, connectedCell(c, people, tz)),
          h('td', { class: 'row-actions' }, editable && item.status !== 'disconnected' ? rowActions(c, platform, workspace) : null),
        );
      }),
    ),
  );
}

/** Who connected the account and when, and the scopes the platform granted (product points 1, 13). */
function connectedCell(c, people, tz) {
  const by = c.connectedBy ? (people.get(c.connectedBy) ?? 'a former member') : 'unknown';
  return [
    h('time', { datetime: c.connectedAt, title: c.connectedAt }, formatInstant(c.connectedAt, tz)),
    h('div', { class: 'muted' }, `by ${by}`),
    c.scopes.length
      ? h('details', { class: 'scopes' },
          h('summary', null, `${c.scopes.length} scope(s)`),
          h('ul', null, c.scopes.map((s) => h('li', null, h('code', null, s)))))
      : h('div', { class: 'muted' }, 'no scopes recorded'),
  ];
}

function instantCell(iso, tz) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: iso }, formatInstant(iso, tz), h('div', { class: 'muted' }, relative(iso)));
}

function rowActions(c, platform, workspace) {
  const label = `${c.displayName} on ${platformLabel(c.platform)}`;
  const reconnect =
    platform?.connectMethod === 'app_password'
      ? h('a', { class: 'button secondary small', href: `/connections?reconnect=${c.id}`, 'aria-label': `Reconnect ${label}` }, 'Reconnect')
      : h('button', { type: 'button', class: 'secondary small', 'aria-label': `Reconnect ${label}`, onclick: (e) => busy(e.currentTarget, () => beginReconnect(workspace.id, c.id)) }, 'Reconnect');
  const disconnect =
    canAdmin(workspace)
      ? h('button', {
          type: 'button',
          class: 'danger small',
          'aria-label': `Disconnect ${label}`,
          onclick: (e) => {
            if (!confirm(`Disconnect ${label}? Perennial revokes its access and erases the tokens; the history and posts stay.`)) return;
            void busy(e.currentTarget, async () => {
              const done = await api('DELETE', `/api/workspaces/${workspace.id}/connections/${c.id}`);
              await refresh();
              toast(done.revokedAtPlatform ? `${label} is disconnected and its access revoked.` : `${label} is disconnected.`);
            });
          },
        }, 'Disconnect')
      : null;
  return [reconnect, ' ', disconnect];
}


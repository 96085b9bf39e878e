/**
 * The connections screen: every connection of the workspace with its health (state, access
 * expiry, hard end, last and next refresh), Connect per platform (OAuth through the platform's
 * consent page, Bluesky app password, Mastodon server), Reconnect and Disconnect. It also shows
 * the outcome the OAuth callback sends back in the query (?connected, ?reconnected, ?select, ?error).
 */
import { api, get, post } from '../api.js';
import { busy, field, h, render, toast } from '../dom.js';
import { navigate, refresh } from '../navigation.js';
import { healthBadge, platformLabel, refreshPurposeLabel } from '../platforms.js';
import { canEdit, currentWorkspace, selectWorkspace, session } from '../session.js';
import { formatInstant, relative } from '../time.js';
import { showAccountSelection } from './selectAccount.js';

/**
 * The emulator's fake app-password accounts (src/emulator/platforms/bluesky.ts), so a newcomer
 * can try the form in the sandbox.
 */
const SANDBOX_LOGINS = { bluesky: 'sign in as alice.sandbox.bsky.social with the app password abcd-efgh-ijkl-mnop.' };

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
  const [{ connections }, { items: health }, { platforms }] = await Promise.all([
    get(`${base}/connections`),
    get(`${base}/connections-health`),
    get('/api/platforms'),
  ]);
  const byId = new Map(connections.map((c) => [c.id, c]));
  const editable = canEdit(workspace);
  const notice = callbackNotice(byId);
  const rows = health.filter((item) => byId.has(item.connectionId));

  render(
    main,
    h('div', { class: 'screen-head' }, h('h1', null, 'Connections'), h('p', { class: 'sub' }, workspace.name)),
    notice,
    rows.length === 0
      ? h('p', { class: 'empty' }, 'No account is connected yet. Connect one below.')
      : h('div', { class: 'table-wrap' }, connectionsTable(rows, byId, platforms, workspace, editable)),
    editable ? connectPanel(platforms, workspace) : h('p', { class: 'hint' }, 'You are a viewer in this workspace: connecting accounts needs the editor role.'),
  );

  const params = new URL(location.href).searchParams;
  if (params.get('select')) await showAccountSelection(workspace.id, params.get('select'));
  const reconnectId = params.get('reconnect');
  if (reconnectId && byId.has(reconnectId)) main.querySelector(`[data-password-form]`)?.scrollIntoView();
  if (params.size) history.replaceState(null, '', '/connections' + (reconnectId ? `?reconnect=${reconnectId}` : ''));
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

function connectionsTable(rows, byId, platforms, workspace, editable) {
  const tz = workspace.timeZone;
  const modeOf = (id) => platforms.find((p) => p.id === id);
  return h(
    'table',
    { class: 'connections' },
    h('caption', { class: 'visually-hidden' }, 'Connections, most urgent first'),
    h('thead', null, h('tr', null, ['Platform', 'Account', 'State', 'Access expires', 'Hard end', 'Last refresh', 'Next refresh', ''].map((t) => h('th', { scope: 'col' }, t)))),
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
          h('td', { class: 'row-actions' }, editable && item.status !== 'disconnected' ? rowActions(c, platform, workspace) : null),
        );
      }),
    ),
  );
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
    workspace.role === 'owner' || workspace.role === 'admin'
      ? h('button', {
          type: 'button',
          class: 'danger small',
          'aria-label': `Disconnect ${label}`,
          onclick: (e) => {
            if (!confirm(`Disconnect ${label}? Perennial revokes its access and erases the tokens; the history and posts stay.`)) return;
            void busy(e.currentTarget, async () => {
              const done = await api('DELETE', `/api/workspaces/${workspace.id}/connections/${c.id}`);
              toast(done.revokedAtPlatform ? `${label} is disconnected and its access revoked.` : `${label} is disconnected.`);
              await refresh();
            });
          },
        }, 'Disconnect')
      : null;
  return [reconnect, ' ', disconnect];
}

function connectPanel(platforms, workspace) {
  const reconnectId = new URL(location.href).searchParams.get('reconnect');
  const oauth = platforms.filter((p) => p.connectMethod === 'oauth2');
  const error = h('p', { class: 'form-error', role: 'alert' });
  const connect = (button, body) =>
    busy(button, async () => {
      const { authorizationUrl } = await post(`/api/workspaces/${workspace.id}/connections/authorize`, body);
      location.assign(authorizationUrl);
    }, error);

  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'connect-title' },
    h('h2', { id: 'connect-title' }, 'Connect an account'),
    h('p', { class: 'hint' }, 'You will authorize Perennial on the platform, then come back here.'),
    h(
      'div',
      { class: 'connect-grid' },
      oauth
        .filter((p) => p.instanceUrl !== 'required')
        .map((p) =>
          h('button', { type: 'button', class: 'connect', dataset: { platform: p.id }, onclick: (e) => connect(e.currentTarget, { platform: p.id }) },
            `Connect ${p.displayName}`,
            p.mode === 'sandbox' ? h('span', { class: 'tag' }, 'sandbox') : null,
          ),
        ),
    ),
    error,
    oauth.filter((p) => p.instanceUrl === 'required').map((p) => instanceForm(p, connect)),
    platforms.filter((p) => p.connectMethod === 'app_password').map((p) => passwordForm(p, workspace, reconnectId)),
  );
}

function instanceForm(platform, connect) {
  const input = h('input', { type: 'url', name: 'instanceUrl', required: true, placeholder: 'https://mastodon.social', autocomplete: 'url' });
  return h(
    'form',
    {
      class: 'inline-form',
      dataset: { instanceForm: platform.id },
      onsubmit: (e) => {
        e.preventDefault();
        void connect(e.submitter, { platform: platform.id, instanceUrl: input.value.trim() });
      },
    },
    h('h3', null, platform.displayName, platform.mode === 'sandbox' ? h('span', { class: 'tag' }, 'sandbox') : null),
    field('Your server', input, 'The address of the server your account lives on.'),
    h('button', { type: 'submit', class: 'primary' }, `Connect ${platform.displayName}`),
  );
}

function passwordForm(platform, workspace, reconnectId) {
  const reconnecting = reconnectId && session.workspaceId === workspace.id ? reconnectId : null;
  const identifier = h('input', { name: 'identifier', required: true, autocomplete: 'username', placeholder: 'you.bsky.social' });
  const password = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'off' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  return h(
    'form',
    {
      class: 'inline-form',
      dataset: { passwordForm: platform.id },
      onsubmit: (e) => {
        e.preventDefault();
        void busy(e.submitter, async () => {
          const body = { platform: platform.id, identifier: identifier.value.trim(), password: password.value };
          if (reconnecting) body.connectionId = reconnecting;
          const result = await post(`/api/workspaces/${workspace.id}/connections/password`, body);
          password.value = '';
          if (result.result === 'select_account') return showAccountSelection(workspace.id, result.selectionId, result.accounts);
          navigate(`/connections?${result.result}=${result.connection.id}`, { replace: true });
        }, error);
      },
    },
    h('h3', null, reconnecting ? `Reconnect ${platform.displayName}` : platform.displayName, platform.mode === 'sandbox' ? h('span', { class: 'tag' }, 'sandbox') : null),
    h('p', { class: 'hint' }, 'Create an app password in your account settings. Perennial uses it once to sign in and never stores it.'),
    platform.mode === 'sandbox' && SANDBOX_LOGINS[platform.id] ? h('p', { class: 'hint' }, `Sandbox: ${SANDBOX_LOGINS[platform.id]}`) : null,
    field('Handle or email', identifier),
    field('App password', password),
    error,
    h('button', { type: 'submit', class: 'primary' }, reconnecting ? 'Reconnect' : `Connect ${platform.displayName}`),
  );
}


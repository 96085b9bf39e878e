/**
 * The access register of the workspace (admins, GET .../access-register): which app can act for
 * which account, with which scopes, granted by whom and when, refreshed and revoked when; every
 * logged event below. The export buttons download the same register as CSV or JSON.
 */
import { get } from '../api.js';
import { h, render } from '../dom.js';
import { platformLabel } from '../platforms.js';
import { canAdmin, currentWorkspace } from '../session.js';
import { formatInstant } from '../time.js';
import { settingsHead } from './settingsTabs.js';

const ACTIONS = {
  granted: 'Access granted',
  refreshed: 'Refreshed',
  reconnected: 'Reconnected',
  revoked: 'Revoked',
  disconnected: 'Disconnected',
  refresh_failed: 'Refresh failed',
  verify_failed: 'Check failed',
  connect_failed: 'Connect failed',
};

export async function renderAccessRegister(main) {
  const workspace = currentWorkspace();
  if (!canAdmin(workspace)) {
    render(main, settingsHead(workspace, 'Access register'), h('p', { class: 'hint' }, 'The access register is for admins and owners of the workspace.'));
    return;
  }
  const url = `/api/workspaces/${workspace.id}/access-register`;
  const register = await get(`${url}?format=json`);
  const tz = workspace.timeZone;
  const at = (iso) => (iso ? h('time', { datetime: iso, title: iso }, formatInstant(iso, tz)) : h('span', { class: 'muted' }, '—'));

  render(
    main,
    settingsHead(workspace, 'Access register'),
    h('p', null, 'Which apps can act for which accounts of this workspace, since when and by whose grant. Kept from the append-only access log, also after a disconnect.'),
    h('div', { class: 'actions export' },
      h('a', { class: 'button secondary', href: `${url}?format=csv`, download: '' }, 'Download CSV'),
      h('a', { class: 'button secondary', href: `${url}?format=json`, download: '' }, 'Download JSON'),
    ),
    register.entries.length === 0
      ? h('p', { class: 'empty' }, 'No account has been connected in this workspace yet.')
      : h('div', { class: 'table-wrap' },
          h('table', { class: 'access-register' },
            h('caption', { class: 'visually-hidden' }, 'Access register: one row per connected account'),
            h('thead', null, h('tr', null, ['Account', 'App', 'Scopes', 'Granted by', 'Granted', 'Refreshes', 'Revoked', 'Disconnected', 'State'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', null, register.entries.map((e) =>
              h('tr', { dataset: { connectionId: e.connectionId } },
                h('td', null, h('strong', null, e.account), h('div', { class: 'muted' }, platformLabel(e.platform))),
                h('td', null, e.app ? h('code', null, e.app) : '—'),
                h('td', null, e.scopes.length ? e.scopes.map((s) => h('div', null, h('code', null, s))) : '—'),
                h('td', null, e.grantedBy ?? '—'),
                h('td', null, at(e.grantedAt)),
                h('td', null, String(e.refreshes), e.lastRefreshedAt ? h('div', { class: 'muted' }, 'last ', at(e.lastRefreshedAt)) : null),
                h('td', null, e.revocations ? [String(e.revocations), h('div', { class: 'muted' }, 'last ', at(e.lastRevokedAt))] : '—'),
                h('td', null, at(e.disconnectedAt)),
                h('td', null, e.state),
              ))),
          )),
    h('section', { 'aria-labelledby': 'events-title' },
      h('h2', { id: 'events-title' }, 'Events'),
      register.events.length === 0
        ? h('p', { class: 'empty' }, 'No event logged yet.')
        : h('ol', { class: 'event-list' }, [...register.events].reverse().map((ev) =>
            h('li', null, at(ev.at), ' ', h('strong', null, ACTIONS[ev.action] ?? ev.action), ` · ${platformLabel(ev.platform)}`,
              ev.actor ? ` · by ${ev.actor}` : '', ev.scopes.length ? ` · ${ev.scopes.join(' ')}` : ''))),
    ),
  );
}

/**
 * The agency overview: every connection of all the user's workspaces, most urgent first
 * (GET /api/me/connections-health), with the way to fix what needs fixing.
 */
import { get } from '../api.js';
import { h, render } from '../dom.js';
import { healthBadge, HEALTH_LABELS, platformLabel } from '../platforms.js';
import { canEdit, selectWorkspace, session, workspaceName, workspaceOf } from '../session.js';
import { formatInstant, relative } from '../time.js';
import { navigate } from '../navigation.js';

export async function renderOverview(main) {
  const { items } = await get('/api/me/connections-health');
  const live = items.filter((i) => i.status !== 'disconnected');
  const counts = Object.fromEntries(Object.keys(HEALTH_LABELS).map((s) => [s, live.filter((i) => i.status === s).length]));
  const zoneOf = (id) => session.workspaces.find((w) => w.id === id)?.timeZone;

  render(
    main,
    h('div', { class: 'screen-head' }, h('h1', null, 'All workspaces'), h('p', { class: 'sub' }, `${live.length} connection(s) in ${session.workspaces.length} workspace(s), most urgent first`)),
    h('ul', { class: 'summary' },
      ['needs_reconnect', 'revoked', 'refresh_failing', 'expiring_soon', 'healthy'].map((s) => h('li', { class: `status-${s}` }, h('strong', null, String(counts[s])), ' ', HEALTH_LABELS[s])),
    ),
    live.length === 0
      ? h('p', { class: 'empty' }, 'No connections yet.')
      : h('div', { class: 'table-wrap' },
          h('table', null,
            h('caption', { class: 'visually-hidden' }, 'Connections of all workspaces, most urgent first'),
            h('thead', null, h('tr', null, ['Workspace', 'Platform', 'Account', 'State', 'Ends', 'Next refresh', ''].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', null,
              live.map((i) =>
                h('tr', { dataset: { connectionId: i.connectionId, status: i.status } },
                  h('td', null, workspaceName(i.workspaceId)),
                  h('td', null, platformLabel(i.platform)),
                  h('td', null, i.account),
                  h('td', null, healthBadge(h, i.status), i.status !== 'healthy' && i.stateReason ? h('div', { class: 'muted reason' }, i.stateReason) : null),
                  h('td', null, i.endsAt ? [formatInstant(i.endsAt, zoneOf(i.workspaceId)), h('div', { class: 'muted' }, i.daysLeft !== null ? `${i.daysLeft} day(s) left` : relative(i.endsAt))] : '—'),
                  h('td', null, i.nextRefreshAt ? formatInstant(i.nextRefreshAt, zoneOf(i.workspaceId)) : '—'),
                  h('td', null,
                    (i.status === 'needs_reconnect' || i.status === 'revoked') && canEdit(workspaceOf(i.workspaceId))
                      ? h('a', { class: 'button primary small', href: `/connections/${i.connectionId}/reconnect` }, 'Reconnect')
                      : h('button', { type: 'button', class: 'secondary small', onclick: () => { selectWorkspace(i.workspaceId); navigate('/connections'); } }, 'Open'),
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}

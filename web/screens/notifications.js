/**
 * Notifications: the unread count, the list (newest first), mark one or all read, and the
 * alert email preferences (/settings/notifications lands here too).
 */
import { api, get, post } from '../api.js';
import { busy, field, h, render, toast } from '../dom.js';
import { navigate, refresh } from '../navigation.js';
import { canEdit, selectWorkspace, session, workspaceOf } from '../session.js';
import { formatInstant, relative } from '../time.js';
import { setUnreadCount } from '../unreadCount.js';

export async function renderNotifications(main) {
  const [{ items, unread }, prefs] = await Promise.all([get('/api/notifications?limit=100'), get('/api/me/notification-preferences')]);
  setUnreadCount(unread);
  const zone = session.workspaces.find((w) => w.id === session.workspaceId)?.timeZone;

  render(
    main,
    h('div', { class: 'screen-head' },
      h('h1', null, 'Notifications'),
      h('p', { class: 'sub' }, unread === 0 ? 'Nothing unread.' : `${unread} unread`),
      unread > 0
        ? h('button', {
            type: 'button',
            class: 'secondary',
            onclick: (e) => busy(e.currentTarget, async () => {
              const { marked } = await post('/api/notifications/read-all');
              await refresh();
              toast(`${marked} marked read.`);
            }),
          }, 'Mark all read')
        : null,
    ),
    items.length === 0
      ? h('p', { class: 'empty' }, 'No notifications yet. Perennial tells you here when a connection needs you.')
      : h('ol', { class: 'notifications' }, items.map((n) => notificationItem(n, zone))),
    preferencesForm(prefs),
  );
  if (location.pathname === '/settings/notifications') document.getElementById('prefs-title')?.scrollIntoView();
}

function notificationItem(n, zone) {
  const unread = !n.readAt;
  return h(
    'li',
    { class: unread ? 'unread' : null, dataset: { notificationId: n.id, kind: n.kind } },
    h('div', null,
      h('strong', null, n.title),
      unread ? h('span', { class: 'tag' }, 'new') : null,
      h('p', null, n.body),
      h('small', { class: 'muted' }, h('time', { datetime: n.createdAt }, formatInstant(n.createdAt, zone)), ` · ${relative(n.createdAt)}`),
    ),
    h('div', { class: 'actions' },
      n.connectionId && n.kind !== 'reconnected' && canEdit(workspaceOf(n.workspaceId))
        ? h('a', { class: 'button secondary small', href: `/connections/${n.connectionId}/reconnect` }, 'Reconnect')
        : null,
      missedButton(n),
      unread
        ? h('button', {
            type: 'button',
            class: 'secondary small',
            onclick: (e) => busy(e.currentTarget, async () => {
              await post(`/api/notifications/${n.id}/read`);
              await refresh();
            }),
          }, 'Mark read')
        : null,
    ),
  );
}

/** A "reconnected" notice names the posts whose time passed meanwhile: offer them for retry. */
function missedButton(n) {
  const passed = Array.isArray(n.data?.passedTargetIds) ? n.data.passedTargetIds.length : 0;
  if (n.kind !== 'reconnected' || passed === 0 || !workspaceOf(n.workspaceId)) return null;
  return h('button', {
    type: 'button',
    class: 'primary small',
    onclick: () => {
      selectWorkspace(n.workspaceId);
      navigate(`/connections?missed=${n.connectionId}`);
    },
  }, `Retry or reschedule ${passed} post(s)`);
}

function preferencesForm(prefs) {
  const mode = h('select', { name: 'emailMode' },
    [['immediate', 'One email per alert'], ['daily_digest', 'One daily digest for all my workspaces'], ['off', 'No email (in-app only)']].map(([v, label]) =>
      h('option', { value: v, selected: prefs.emailMode === v }, label)),
  );
  const hour = h('input', { type: 'number', min: 0, max: 23, value: prefs.digestHourUtc, name: 'digestHourUtc' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  return h(
    'form',
    {
      class: 'panel',
      'aria-labelledby': 'prefs-title',
      onsubmit: (e) => {
        e.preventDefault();
        void busy(e.submitter, async () => {
          await api('PUT', '/api/me/notification-preferences', { emailMode: mode.value, digestHourUtc: Number(hour.value) });
          toast('Preferences saved.');
        }, error);
      },
    },
    h('h2', { id: 'prefs-title' }, 'Alert emails'),
    field('Email me', mode),
    field('Digest hour (UTC)', hour),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Save'),
  );
}

/**
 * The reconnect pop-up: connections already expired or revoked that the user has not
 * acknowledged (GET /api/alerts/popup), each with a one-click Reconnect.
 */
import { get, post } from './api.js';
import { busy, h, render } from './dom.js';
import { platformLabel } from './platforms.js';
import { beginReconnect } from './screens/connections.js';
import { canEdit, workspaceName, workspaceOf } from './session.js';

const dialog = () => document.getElementById('reconnect-popup');
let shownIds = '';
/** Alerts put off with "Later": not shown again on this page until a new one comes. */
const later = new Set();

export async function checkReconnectPopup() {
  let items;
  try {
    ({ items } = await get('/api/alerts/popup'));
  } catch {
    // A failed check is retried on the next screen change; it must not block the screen.
    return;
  }
  const el = dialog();
  if (items.length === 0) {
    if (el.open) el.close();
    shownIds = '';
    return;
  }
  const ids = items.map((i) => i.notificationId).join(',');
  if (el.open && ids === shownIds) return;
  if (items.every((i) => later.has(i.notificationId))) return;
  shownIds = ids;
  const error = h('p', { class: 'form-error', role: 'alert' });
  render(
    el,
    h('h2', { id: 'reconnect-popup-title' }, items.length === 1 ? 'A connection needs you' : `${items.length} connections need you`),
    h('p', null, 'Perennial can no longer post for these accounts. Their scheduled posts are paused and resume as soon as you reconnect.'),
    h('ul', { class: 'popup-list' }, items.map((item) => popupItem(item, error))),
    error,
    h('div', { class: 'actions' }, h('button', {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        for (const i of items) later.add(i.notificationId);
        el.close();
      },
    }, 'Later')),
  );
  if (!el.open) el.showModal();
}

function popupItem(item, error) {
  return h(
    'li',
    { class: 'popup-item' },
    h('div', null,
      h('strong', null, item.title),
      h('p', null, item.body),
      h('small', null, `${platformLabel(item.platform)} · ${workspaceName(item.workspaceId)}`),
    ),
    h('div', { class: 'actions' },
      canEdit(workspaceOf(item.workspaceId))
        ? h('button', {
            type: 'button',
            class: 'primary',
            onclick: (e) => busy(e.currentTarget, () => beginReconnect(item.workspaceId, item.connectionId), error),
          }, 'Reconnect')
        : h('span', { class: 'hint' }, 'Ask an editor of this workspace to reconnect it.'),
      h('button', {
        type: 'button',
        class: 'secondary',
        onclick: (e) =>
          busy(e.currentTarget, async () => {
            await post(`/api/alerts/popup/${item.notificationId}/acknowledge`);
            e.target.closest('li')?.remove();
            if (!dialog().querySelector('li')) dialog().close();
          }, error),
      }, 'Dismiss'),
    ),
  );
}


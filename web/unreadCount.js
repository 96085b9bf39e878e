/** The unread notifications badge in the header. */
import { get } from './api.js';
import { h } from './dom.js';

const badge = h('span', { class: 'badge', id: 'unread-count', hidden: true });

export function unreadBadge() {
  return badge;
}

export async function refreshUnreadCount() {
  try {
    const { unread } = await get('/api/notifications/unread-count');
    setUnreadCount(unread);
  } catch {
    // The badge is a hint; the notifications screen shows the real error if the API fails.
    badge.hidden = true;
  }
}

export function setUnreadCount(unread) {
  badge.textContent = String(unread);
  badge.hidden = unread === 0;
  badge.setAttribute('aria-label', `${unread} unread`);
}

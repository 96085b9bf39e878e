/**
 * After a reconnect: the connection's posts that did not go out while it needed the user (their
 * time passed, so they are `failed`), offered for retry now or rescheduling, all at once
 * (POST .../connections/:id/targets/retry {scheduledAt?}) or one by one (targetActions).
 * Shown on the connections screen after the callback's ?reconnected=<id>, and at ?missed=<id>
 * (the "reconnected" notification links there).
 */
import { get, post } from '../api.js';
import { busy, h, toast } from '../dom.js';
import { navigate } from '../navigation.js';
import { platformLabel } from '../platforms.js';
import { formatInstant } from '../time.js';
import { nextHour, targetActions } from './plannerPost.js';

/** The panel, or null when the connection has no failed post. */
export async function missedPostsPanel(workspace, connection, editable) {
  const q = new URLSearchParams({ connectionId: connection.id, status: 'failed', limit: '500' });
  const { items } = await get(`/api/workspaces/${workspace.id}/planner?${q}`);
  const missed = items.flatMap((p) => p.targets.filter((t) => t.connectionId === connection.id && t.status === 'failed').map((t) => ({ post: p, target: t })));
  if (missed.length === 0) return null;
  const name = `${connection.displayName} on ${platformLabel(connection.platform)}`;
  const at = h('input', { type: 'datetime-local', value: nextHour(workspace.timeZone), 'aria-label': 'Time for all of them' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const retryAll = (button, scheduledAt) =>
    busy(button, async () => {
      const { rescheduled } = await post(`/api/workspaces/${workspace.id}/connections/${connection.id}/targets/retry`, scheduledAt ? { scheduledAt } : {});
      await navigate('/connections', { replace: true });
      toast(scheduledAt ? `${rescheduled.length} post(s) rescheduled.` : `${rescheduled.length} post(s) going out now.`);
    }, error);

  return h(
    'section',
    { class: 'panel missed-posts', 'aria-labelledby': 'missed-title', dataset: { connectionId: connection.id } },
    h('h2', { id: 'missed-title' }, `${missed.length} post(s) of ${name} did not go out`),
    h('p', null, 'Their time passed while the account could not be used. Nothing was lost: send them now, or pick a new time.'),
    editable
      ? h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', onclick: (e) => retryAll(e.currentTarget) }, 'Retry all now'),
          h('span', { class: 'inline' }, at, h('button', { type: 'button', class: 'secondary', onclick: (e) => retryAll(e.currentTarget, at.value) }, 'Reschedule all')),
          h('a', { class: 'button secondary', href: '/connections' }, 'Later'),
        )
      : h('p', { class: 'hint' }, 'Ask an editor of this workspace to retry or reschedule them.'),
    error,
    h('ul', { class: 'targets' }, missed.map(({ post: p, target: t }) =>
      h('li', { class: 'target', dataset: { targetId: t.id, status: t.status } },
        h('time', { class: 'target-name', datetime: p.scheduledAt ?? '' }, p.scheduledAt ? formatInstant(p.scheduledAt, workspace.timeZone) : 'no time'),
        h('span', null, p.content.text.slice(0, 120)),
        h('p', { class: 'reason reason-failed' }, `${t.failureMessage ?? 'Failed'}${t.failureCode ? ` (${t.failureCode})` : ''}`),
        editable ? targetActions(t, workspace) : null,
      ))),
  );
}

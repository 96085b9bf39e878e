/**
 * One post of the planner: its time, status and text; each target's state with the reason
 * (failed, paused, unknown, at risk) and the actions the API offers: edit, cancel, and for a
 * target that did not go out retry, reschedule, mark published.
 */
import { post } from '../api.js';
import { busy, h, toast } from '../dom.js';
import { refresh } from '../navigation.js';
import { platformLabel, postEditable, statusBadge } from '../platforms.js';
import { riskText } from '../risk.js';
import { formatInstant, localDateTime, nowMs } from '../time.js';

/**
 * @typedef {{
 *   workspace: { id: string, timeZone: string },
 *   names: Map<string, string>,
 *   editable: boolean,
 *   risks: Map<string, any>,
 *   campaigns: Map<string, string>,
 * }} PlannerContext
 */

/** @param {any} p @param {PlannerContext} ctx */
export function postCard(p, ctx) {
  const when = p.scheduledLocal ? p.scheduledLocal.replace('T', ' ') : 'Draft (no time)';
  const cancellable = ctx.editable && p.targets.some((t) => ['draft', 'scheduled', 'paused', 'failed'].includes(t.status));
  const atRisk = p.targets.some((t) => ctx.risks.has(t.id));
  return h(
    'li',
    { class: atRisk ? 'post at-risk' : 'post', id: `post-${p.id}`, dataset: { postId: p.id, status: p.status } },
    h('div', { class: 'post-head' },
      h('time', { datetime: p.scheduledAt ?? '' }, when),
      statusBadge(h, p.status),
      atRisk ? h('span', { class: 'status status-at_risk' }, 'At risk') : null,
      p.campaignId ? h('a', { class: 'tag', href: `/campaigns/${p.campaignId}` }, ctx.campaigns.get(p.campaignId) ?? 'campaign') : null,
      h('span', { class: 'post-actions' },
        ctx.editable && postEditable(p) ? h('a', { class: 'button secondary small', href: `/compose?post=${p.id}`, 'aria-label': `Edit the post of ${when}` }, 'Edit') : null,
        cancellable ? cancelButton(p, ctx) : null,
      ),
    ),
    h('p', { class: 'post-text' }, p.content.text),
    p.content.link ? h('p', { class: 'muted' }, p.content.link) : null,
    p.content.mediaIds.length ? h('p', { class: 'muted' }, `${p.content.mediaIds.length} media file(s)`) : null,
    Object.keys(p.content.overrides ?? {}).length
      ? h('p', { class: 'muted' }, `Own version for ${Object.keys(p.content.overrides).map(platformLabel).join(', ')}`)
      : null,
    h('ul', { class: 'targets' }, p.targets.map((t) => targetRow(t, ctx))),
  );
}

function cancelButton(p, ctx) {
  return h('button', {
    type: 'button',
    class: 'secondary small',
    onclick: (e) => {
      if (!confirm('Cancel every target of this post that has not gone out?')) return;
      void busy(e.currentTarget, async () => {
        await post(`/api/workspaces/${ctx.workspace.id}/posts/${p.id}/cancel`, { version: p.version });
        await refresh();
        toast('Post cancelled.');
      });
    },
  }, 'Cancel post');
}

/** @param {any} t @param {PlannerContext} ctx */
export function targetRow(t, ctx) {
  const reason =
    t.status === 'failed' ? `${t.failureMessage ?? 'Failed'}${t.failureCode ? ` (${t.failureCode})` : ''}`
    : t.status === 'paused' ? `Paused: ${t.pausedReason ?? 'the connection needs reconnecting'}. Reconnect it on the Connections screen.`
    : t.status === 'unknown' ? 'The outcome is uncertain (the publish may or may not have gone out). Check the platform, then retry or mark it published.'
    : null;
  const risk = ctx.risks.get(t.id);
  return h(
    'li',
    { class: 'target', dataset: { targetId: t.id, status: t.status, risk: risk?.reason } },
    h('span', { class: 'target-name' }, ctx.names.get(t.connectionId) ?? platformLabel(t.platform)),
    statusBadge(h, t.status),
    t.status === 'published' && t.platformUrl ? h('a', { href: t.platformUrl, target: '_blank', rel: 'noopener noreferrer' }, 'View post') : null,
    t.status === 'published' && t.publishedAt ? h('small', { class: 'muted' }, formatInstant(t.publishedAt, ctx.workspace.timeZone)) : null,
    reason ? h('p', { class: `reason reason-${t.status}` }, reason) : null,
    risk
      ? h('p', { class: 'reason reason-at-risk' }, `At risk: ${riskText(risk, ctx.workspace.timeZone)} `,
          ctx.editable ? h('a', { href: `/connections/${t.connectionId}/reconnect` }, 'Reconnect now') : null)
      : null,
    ctx.editable && (t.status === 'failed' || t.status === 'unknown') ? targetActions(t, ctx.workspace) : null,
  );
}

/** Retry now, reschedule at a local time, and for an unknown outcome, mark published with its URL. */
export function targetActions(t, workspace) {
  const base = `/api/workspaces/${workspace.id}/targets/${t.id}`;
  const at = h('input', { type: 'datetime-local', value: nextHour(workspace.timeZone), 'aria-label': 'New time' });
  const url = h('input', { type: 'url', placeholder: 'https://… the post on the platform', 'aria-label': 'Post URL' });
  const act = (button, path, body, done) =>
    busy(button, async () => {
      await post(`${base}/${path}`, body);
      await refresh();
      toast(done);
    });
  return h(
    'div',
    { class: 'target-actions' },
    h('button', { type: 'button', class: 'primary small', onclick: (e) => act(e.currentTarget, 'retry', undefined, 'Retrying now.') }, 'Retry now'),
    h('span', { class: 'inline' }, at, h('button', { type: 'button', class: 'secondary small', onclick: (e) => act(e.currentTarget, 'reschedule', { scheduledAt: at.value }, 'Rescheduled.') }, 'Reschedule')),
    t.status === 'unknown'
      ? h('span', { class: 'inline' }, url, h('button', { type: 'button', class: 'secondary small', onclick: (e) => act(e.currentTarget, 'mark-published', { url: url.value.trim() }, 'Marked as published.') }, 'Mark published'))
      : null,
  );
}

/** The next full hour in `timeZone`, as a local date-time: the default of every time picker. */
export function nextHour(timeZone) {
  return localDateTime(Math.ceil((nowMs() + 60_000) / 3_600_000) * 3_600_000, timeZone);
}

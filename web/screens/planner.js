/**
 * The planner: the workspace's posts as a list or a month calendar, filterable by status, with
 * each target's state and reason (failed, paused, unknown) and the actions the API offers:
 * retry, reschedule, mark published (unknown), cancel.
 */
import { get, post } from '../api.js';
import { busy, h, render, toast } from '../dom.js';
import { refresh } from '../navigation.js';
import { platformLabel, statusBadge, TARGET_STATUSES } from '../platforms.js';
import { canEdit, currentWorkspace } from '../session.js';
import { addDays, formatInstant, localDate, localDateTime, nowMs } from '../time.js';

/** Filters and view live in the URL, so reloads and links keep them. */
function viewState() {
  const q = new URL(location.href).searchParams;
  return { view: q.get('view') === 'calendar' ? 'calendar' : 'list', status: q.get('status') ?? '', month: q.get('month') ?? '' };
}

function withState(change) {
  const s = { ...viewState(), ...change };
  const q = new URLSearchParams();
  if (s.view !== 'list') q.set('view', s.view);
  if (s.status) q.set('status', s.status);
  if (s.month) q.set('month', s.month);
  return `/planner${q.size ? `?${q}` : ''}`;
}

export async function renderPlanner(main) {
  const workspace = currentWorkspace();
  const state = viewState();
  const month = state.month || localDate(nowMs(), workspace.timeZone).slice(0, 7);
  const query = new URLSearchParams({ limit: '200' });
  if (state.status) query.set('status', state.status);
  if (state.view === 'calendar') {
    query.set('from', `${month}-01`);
    query.set('to', addDays(`${nextMonth(month)}-01`, -1));
  }
  const [planner, { connections }] = await Promise.all([
    get(`/api/workspaces/${workspace.id}/planner?${query}`),
    get(`/api/workspaces/${workspace.id}/connections?includeDisconnected=true`),
  ]);
  const names = new Map(connections.map((c) => [c.id, `${platformLabel(c.platform)} · ${c.displayName}`]));
  const ctx = { workspace, names, editable: canEdit(workspace) };

  render(
    main,
    h('div', { class: 'screen-head' },
      h('h1', null, 'Planner'),
      h('p', { class: 'sub' }, `${workspace.name} · times in ${workspace.timeZone}`),
      ctx.editable ? h('a', { class: 'button primary', href: '/compose' }, 'New post') : null,
    ),
    h('nav', { class: 'filters', 'aria-label': 'Planner filters' },
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'View' },
        ['list', 'calendar'].map((v) => h('a', { href: withState({ view: v }), 'aria-current': state.view === v ? 'true' : null }, v === 'list' ? 'List' : 'Calendar')),
      ),
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'Status' },
        h('a', { href: withState({ status: '' }), 'aria-current': state.status ? null : 'true' }, 'All'),
        TARGET_STATUSES.map((s) =>
          h('a', { href: withState({ status: s }), 'aria-current': state.status === s ? 'true' : null, dataset: { status: s } },
            s, ' ', h('span', { class: 'count' }, String(planner.counts.byStatus[s] ?? 0))),
        ),
      ),
    ),
    state.view === 'calendar' ? calendar(planner.items, month) : list(planner.items, ctx),
  );
}

function nextMonth(month) {
  const [y, m] = month.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

function prevMonth(month) {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

function list(items, ctx) {
  if (items.length === 0) return h('p', { class: 'empty' }, 'No posts here yet.');
  return h('ol', { class: 'post-list' }, items.map((p) => postCard(p, ctx)));
}

function postCard(p, ctx) {
  const when = p.scheduledLocal ? p.scheduledLocal.replace('T', ' ') : 'Draft (no time)';
  const cancellable = ctx.editable && p.targets.some((t) => ['draft', 'scheduled', 'paused'].includes(t.status));
  return h(
    'li',
    { class: 'post', id: `post-${p.id}`, dataset: { postId: p.id, status: p.status } },
    h('div', { class: 'post-head' },
      h('time', { datetime: p.scheduledAt ?? '' }, when),
      statusBadge(h, p.status),
      cancellable
        ? h('button', {
            type: 'button',
            class: 'secondary small',
            onclick: (e) => {
              if (!confirm('Cancel every target of this post that has not gone out?')) return;
              void busy(e.currentTarget, async () => {
                await post(`/api/workspaces/${ctx.workspace.id}/posts/${p.id}/cancel`, { version: p.version });
                toast('Post cancelled.');
                await refresh();
              });
            },
          }, 'Cancel post')
        : null,
    ),
    h('p', { class: 'post-text' }, p.content.text),
    p.content.link ? h('p', { class: 'muted' }, p.content.link) : null,
    p.content.mediaIds.length ? h('p', { class: 'muted' }, `${p.content.mediaIds.length} media file(s)`) : null,
    h('ul', { class: 'targets' }, p.targets.map((t) => targetRow(t, ctx))),
  );
}

function targetRow(t, ctx) {
  const reason =
    t.status === 'failed' ? `${t.failureMessage ?? 'Failed'}${t.failureCode ? ` (${t.failureCode})` : ''}`
    : t.status === 'paused' ? `Paused: ${t.pausedReason ?? 'the connection needs reconnecting'}. Reconnect it on the Connections screen.`
    : t.status === 'unknown' ? 'The outcome is uncertain (the publish may or may not have gone out). Check the platform, then retry or mark it published.'
    : null;
  return h(
    'li',
    { class: 'target', dataset: { targetId: t.id, status: t.status } },
    h('span', { class: 'target-name' }, ctx.names.get(t.connectionId) ?? platformLabel(t.platform)),
    statusBadge(h, t.status),
    t.status === 'published' && t.platformUrl ? h('a', { href: t.platformUrl, target: '_blank', rel: 'noopener noreferrer' }, 'View post') : null,
    t.status === 'published' && t.publishedAt ? h('small', { class: 'muted' }, formatInstant(t.publishedAt, ctx.workspace.timeZone)) : null,
    reason ? h('p', { class: `reason reason-${t.status}` }, reason) : null,
    ctx.editable && (t.status === 'failed' || t.status === 'unknown') ? targetActions(t, ctx) : null,
  );
}

function targetActions(t, ctx) {
  const base = `/api/workspaces/${ctx.workspace.id}/targets/${t.id}`;
  const at = h('input', { type: 'datetime-local', value: localDateTime(Math.ceil((nowMs() + 60_000) / 3_600_000) * 3_600_000, ctx.workspace.timeZone), 'aria-label': 'New time' });
  const url = h('input', { type: 'url', placeholder: 'https://… the post on the platform', 'aria-label': 'Post URL' });
  const act = (button, path, body, done) =>
    busy(button, async () => {
      await post(`${base}/${path}`, body);
      toast(done);
      await refresh();
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

function calendar(items, month) {
  const byDay = new Map();
  for (const p of items) {
    if (!p.scheduledLocal) continue;
    const day = p.scheduledLocal.slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), p]);
  }
  const first = `${month}-01`;
  // Weeks start on Monday; blank cells before the 1st.
  const lead = (new Date(`${first}T00:00:00Z`).getUTCDay() + 6) % 7;
  const last = addDays(`${nextMonth(month)}-01`, -1);
  const cells = [];
  for (let i = 0; i < lead; i++) cells.push(h('div', { class: 'day blank', 'aria-hidden': 'true' }));
  for (let d = first; d <= last; d = addDays(d, 1)) {
    const posts = byDay.get(d) ?? [];
    cells.push(
      h('div', { class: 'day', role: 'listitem', 'aria-label': `${d}: ${posts.length} post(s)` },
        h('span', { class: 'day-number' }, String(Number(d.slice(8)))),
        posts.map((p) => h('a', { class: `chip status-${p.status}`, href: withState({ view: 'list', status: '' }) + `#post-${p.id}`, title: p.content.text },
          `${p.scheduledLocal.slice(11, 16)} ${p.content.text.slice(0, 40)}`)),
      ),
    );
  }
  const title = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${first}T12:00:00Z`));
  return h('section', { class: 'calendar', 'aria-label': `Calendar ${title}` },
    h('div', { class: 'calendar-head' },
      h('a', { class: 'button secondary small', href: withState({ month: prevMonth(month) }), 'aria-label': 'Previous month' }, '←'),
      h('h2', null, title),
      h('a', { class: 'button secondary small', href: withState({ month: nextMonth(month) }), 'aria-label': 'Next month' }, '→'),
    ),
    h('div', { class: 'weekdays', 'aria-hidden': 'true' }, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d) => h('span', null, d))),
    h('div', { class: 'month', role: 'list' }, cells),
  );
}

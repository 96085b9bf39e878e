/**
 * The planner: the workspace's posts as a list or a month calendar, filtered by status,
 * connection, platform and campaign, with a warning for posts at risk (their connection will
 * not last until their time). Each post's card is plannerPost.js; the calendar plannerCalendar.js.
 */
import { get } from '../api.js';
import { h, render } from '../dom.js';
import { navigate } from '../navigation.js';
import { platformLabel, TARGET_STATUSES } from '../platforms.js';
import { risksByTarget } from '../risk.js';
import { canEdit, currentWorkspace } from '../session.js';
import { addDays, localDate, nowMs } from '../time.js';
import { calendar, nextMonth } from './plannerCalendar.js';
import { postCard } from './plannerPost.js';

const KEYS = ['view', 'status', 'month', 'connection', 'platform', 'campaign'];

/** Filters and view live in the URL, so reloads and links keep them. */
function viewState() {
  const q = new URL(location.href).searchParams;
  const s = Object.fromEntries(KEYS.map((k) => [k, q.get(k) ?? '']));
  s.view = s.view === 'calendar' ? 'calendar' : 'list';
  return s;
}

function withState(change) {
  const s = { ...viewState(), ...change };
  const q = new URLSearchParams();
  for (const k of KEYS) if (s[k] && !(k === 'view' && s[k] === 'list')) q.set(k, s[k]);
  return `/planner${q.size ? `?${q}` : ''}`;
}

export async function renderPlanner(main) {
  const workspace = currentWorkspace();
  const state = viewState();
  const month = state.month || localDate(nowMs(), workspace.timeZone).slice(0, 7);
  const query = new URLSearchParams({ limit: '200' });
  if (state.status) query.set('status', state.status);
  if (state.connection) query.set('connectionId', state.connection);
  if (state.platform) query.set('platform', state.platform);
  if (state.campaign) query.set('campaignId', state.campaign);
  if (state.view === 'calendar') {
    query.set('from', `${month}-01`);
    query.set('to', addDays(`${nextMonth(month)}-01`, -1));
  }
  const base = `/api/workspaces/${workspace.id}`;
  const [planner, { connections }, { campaigns }, risks] = await Promise.all([
    get(`${base}/planner?${query}`),
    get(`${base}/connections?includeDisconnected=true`),
    get(`${base}/campaigns`),
    risksByTarget(workspace.id),
  ]);
  const names = new Map(connections.map((c) => [c.id, `${platformLabel(c.platform)} · ${c.displayName}`]));
  const ctx = { workspace, names, editable: canEdit(workspace), risks, campaigns: new Map(campaigns.map((c) => [c.id, c.name])) };
  const riskPosts = new Set([...risks.values()].map((r) => r.postId)).size;

  render(
    main,
    h('div', { class: 'screen-head' },
      h('h1', null, 'Planner'),
      h('p', { class: 'sub' }, `${workspace.name} · times in ${workspace.timeZone}`),
      ctx.editable ? h('a', { class: 'button secondary', href: '/import' }, 'Import CSV') : null,
      ctx.editable ? h('a', { class: 'button primary', href: '/compose' }, 'New post') : null,
    ),
    riskPosts > 0
      ? h('p', { class: 'notice notice-warn', role: 'status' },
          `${riskPosts} scheduled post(s) will not go out unless an account is reconnected first. `,
          h('a', { href: '/at-risk' }, 'See the posts at risk'))
      : null,
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
      filterSelect('Account', 'connection', state.connection, connections.map((c) => [c.id, names.get(c.id)])),
      filterSelect('Platform', 'platform', state.platform, [...new Set(connections.map((c) => c.platform))].map((p) => [p, platformLabel(p)])),
      campaigns.length ? filterSelect('Campaign', 'campaign', state.campaign, campaigns.map((c) => [c.id, c.name])) : null,
    ),
    state.view === 'calendar' ? calendar(planner.items, month, withState) : list(planner, ctx),
  );
}

/** A filter as a select: choosing moves to the filtered address (keyboard: change fires on commit). */
function filterSelect(label, key, selected, options) {
  return h('label', { class: 'filter' },
    h('span', null, label),
    h('select', { name: key, onchange: (e) => navigate(withState({ [key]: e.target.value })) },
      h('option', { value: '' }, 'All'),
      options.map(([value, text]) => h('option', { value, selected: value === selected }, text)),
    ),
  );
}

function list(planner, ctx) {
  if (planner.items.length === 0) return h('p', { class: 'empty' }, 'No posts here yet.');
  return [
    h('ol', { class: 'post-list' }, planner.items.map((p) => postCard(p, ctx))),
    planner.total > planner.items.length ? h('p', { class: 'hint' }, `Showing ${planner.items.length} of ${planner.total}; narrow the filters to see the others.`) : null,
  ];
}

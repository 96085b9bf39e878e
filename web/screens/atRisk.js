/**
 * Posts at risk across all the user's workspaces (GET /api/posts-at-risk): scheduled posts whose
 * account will not last until their time, grouped by account, each group with what to do
 * (reconnect before the date) and the posts it would take down.
 */
import { get } from '../api.js';
import { h, render } from '../dom.js';
import { navigate } from '../navigation.js';
import { platformLabel } from '../platforms.js';
import { riskText } from '../risk.js';
import { canEdit, selectWorkspace, session, workspaceName } from '../session.js';
import { formatInstant, relative } from '../time.js';

export async function renderAtRisk(main) {
  const [{ targets }, { items: health }] = await Promise.all([get('/api/posts-at-risk'), get('/api/me/connections-health')]);
  const accounts = new Map(health.map((i) => [i.connectionId, i]));
  const posts = await postsOf(targets);
  const groups = new Map();
  for (const t of targets) groups.set(t.connectionId, [...(groups.get(t.connectionId) ?? []), t]);

  render(
    main,
    h('div', { class: 'screen-head' },
      h('h1', null, 'Posts at risk'),
      h('p', { class: 'sub' }, targets.length === 0 ? 'Nothing at risk in your workspaces.' : `${targets.length} scheduled target(s) on ${groups.size} account(s), in all your workspaces`),
    ),
    targets.length === 0
      ? h('p', { class: 'empty' }, 'Every scheduled post has an account that will still work at its time. Perennial checks this continuously and warns you here, in the planner and by email.')
      : h('ul', { class: 'risk-groups' }, [...groups.entries()].map(([connectionId, items]) => group(connectionId, items, accounts.get(connectionId), posts))),
  );
}

/** The posts of the targets, from each workspace's planner (one request per workspace). */
async function postsOf(targets) {
  const byWorkspace = new Map();
  for (const t of targets) byWorkspace.set(t.workspaceId, new Set([...(byWorkspace.get(t.workspaceId) ?? []), t.connectionId]));
  const found = new Map();
  await Promise.all([...byWorkspace.entries()].map(async ([workspaceId, ids]) => {
    const q = new URLSearchParams({ status: 'scheduled', connectionId: [...ids].join(','), limit: '500' });
    const { items } = await get(`/api/workspaces/${workspaceId}/planner?${q}`);
    for (const p of items) found.set(p.id, p);
  }));
  return found;
}

function group(connectionId, items, account, posts) {
  const workspace = session.workspaces.find((w) => w.id === items[0].workspaceId);
  const zone = workspace?.timeZone ?? 'UTC';
  const name = account ? `${account.account} on ${platformLabel(account.platform)}` : platformLabel(items[0].platform);
  const first = items[0];
  return h(
    'li',
    { class: 'panel risk-group', dataset: { connectionId, reason: first.reason } },
    h('div', { class: 'post-head' },
      h('h2', null, name),
      h('span', { class: 'muted' }, workspaceName(first.workspaceId)),
      h('span', { class: 'post-actions' },
        canEdit(workspace)
          ? h('a', { class: 'button primary small', href: `/connections/${connectionId}/reconnect`, 'aria-label': `Reconnect ${name}` }, 'Reconnect')
          : h('span', { class: 'hint' }, 'Ask an editor of this workspace to reconnect it.'),
      ),
    ),
    h('p', { class: 'reason reason-at-risk' }, riskText(first, zone)),
    first.connectionEndsAt ? h('p', { class: 'muted' }, `Works until ${formatInstant(first.connectionEndsAt, zone)} (${relative(first.connectionEndsAt)}).`) : null,
    h('ul', { class: 'targets' }, items.map((t) => {
      const p = posts.get(t.postId);
      return h('li', { class: 'target', dataset: { targetId: t.targetId } },
        h('time', { class: 'target-name', datetime: t.scheduledAt }, formatInstant(t.scheduledAt, zone)),
        h('span', { class: 'risk-text' }, p ? p.content.text.slice(0, 120) : 'Scheduled post'),
        h('button', {
          type: 'button',
          class: 'link-button',
          onclick: () => {
            selectWorkspace(t.workspaceId);
            navigate(`/planner?connection=${connectionId}#post-${t.postId}`);
          },
        }, 'Open in the planner'),
      );
    })),
  );
}

/**
 * One campaign: its rhythm, accounts and counts; its occurrences (the planner filtered by
 * campaign), each editable on its own in the composer (which takes it out of the series); the
 * series form (PATCH, all future occurrences not edited one by one); ending the series.
 */
import { get, post } from '../api.js';
import { busy, h, render, toast } from '../dom.js';
import { refresh } from '../navigation.js';
import { platformLabel, postEditable, statusBadge } from '../platforms.js';
import { describeRecurrence } from '../recurrenceFields.js';
import { canEdit, currentWorkspace } from '../session.js';
import { campaignForm } from './campaignForm.js';

export async function renderCampaign(main, { campaignId }) {
  const workspace = currentWorkspace();
  const base = `/api/workspaces/${workspace.id}`;
  // The campaign first: a wrong id answers its clear 404 before the planner's query check.
  const campaign = await get(`${base}/campaigns/${encodeURIComponent(campaignId)}`);
  const [{ connections }, planner] = await Promise.all([
    get(`${base}/connections?includeDisconnected=true`),
    get(`${base}/planner?${new URLSearchParams({ campaignId, limit: '500' })}`),
  ]);
  const editable = canEdit(workspace) && !campaign.cancelledAt;
  const names = new Map(connections.map((c) => [c.id, `${platformLabel(c.platform)} · ${c.displayName}`]));
  const usable = connections.filter((c) => c.state !== 'disconnected');
  const series = editable ? campaignForm(workspace, usable, campaign) : null;

  render(
    main,
    h('div', { class: 'screen-head' },
      h('h1', null, campaign.name),
      h('p', { class: 'sub' }, `Campaign · times in ${campaign.timeZone}`),
      editable ? endButton(base, campaign) : null,
    ),
    h('section', { class: 'panel', 'aria-label': 'Summary' },
      campaign.cancelledAt ? h('p', { class: 'notice notice-error' }, 'This series has ended: its future posts were cancelled.') : null,
      h('p', null, describeRecurrence(campaign.recurrence)),
      h('p', { class: 'muted' }, `On ${campaign.connectionIds.map((id) => names.get(id) ?? 'a removed account').join(', ')}`),
      h('p', null, h('strong', null, String(campaign.posts.upcoming)), ` upcoming of ${campaign.posts.total} post(s)`),
    ),
    h('section', { 'aria-labelledby': 'occurrences-title' },
      h('h2', { id: 'occurrences-title' }, 'Posts of the series'),
      occurrences(planner, names, editable),
    ),
    series
      ? h('details', { class: 'panel edit-series' },
          h('summary', null, h('strong', null, 'Edit the series')),
          h('p', { class: 'hint' }, 'Changes apply to every future post of the series, except those edited one by one, and those already out. A new rhythm replaces the future posts.'),
          series.form)
      : null,
  );
}

function endButton(base, campaign) {
  return h('button', {
    type: 'button',
    class: 'danger',
    onclick: (e) => {
      if (!confirm(`End ${campaign.name}? Its future posts are cancelled; those already out stay.`)) return;
      void busy(e.currentTarget, async () => {
        await post(`${base}/campaigns/${campaign.id}/cancel`);
        await refresh();
        toast('The series has ended.');
      });
    },
  }, 'End the series');
}

function occurrences(planner, names, editable) {
  if (planner.items.length === 0) return h('p', { class: 'empty' }, 'No post in this series.');
  return [
    h('div', { class: 'table-wrap' },
      h('table', { class: 'occurrences' },
        h('caption', { class: 'visually-hidden' }, 'Posts of the series in time order'),
        h('thead', null, h('tr', null, ['When', 'Status', 'Text', 'Accounts', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, planner.items.map((p) => {
          const when = p.scheduledLocal ? p.scheduledLocal.replace('T', ' ') : 'no time';
          return h('tr', { dataset: { postId: p.id, status: p.status } },
            h('td', null, h('time', { datetime: p.scheduledAt ?? '' }, when)),
            h('td', null, statusBadge(h, p.status), p.detachedFromCampaign ? h('span', { class: 'tag', title: 'Edited on its own: series edits leave it as it is' }, 'Edited alone') : null),
            h('td', { class: 'post-text' }, p.content.text.slice(0, 140)),
            h('td', null, p.targets.map((t) => h('div', { class: 'muted' }, names.get(t.connectionId) ?? platformLabel(t.platform)))),
            h('td', { class: 'row-actions' },
              editable && postEditable(p) ? h('a', { class: 'button secondary small', href: `/compose?post=${p.id}`, 'aria-label': `Edit the post of ${when} only` }, 'Edit this one') : null),
          );
        })),
      ),
    ),
    planner.total > planner.items.length ? h('p', { class: 'hint' }, `Showing the first ${planner.items.length} of ${planner.total}.`) : null,
  ];
}

/**
 * Campaigns: the workspace's recurring series (GET .../campaigns) with their rhythm and how many
 * posts are ahead, and the form for a new one (/campaigns/new).
 */
import { get } from '../api.js';
import { h, render } from '../dom.js';
import { describeRecurrence } from '../recurrenceFields.js';
import { canEdit, currentWorkspace } from '../session.js';
import { campaignForm } from './campaignForm.js';

export async function renderCampaigns(main) {
  const workspace = currentWorkspace();
  const { campaigns } = await get(`/api/workspaces/${workspace.id}/campaigns`);
  const editable = canEdit(workspace);
  render(
    main,
    h('div', { class: 'screen-head' },
      h('h1', null, 'Campaigns'),
      h('p', { class: 'sub' }, `${workspace.name} · recurring series, times in ${workspace.timeZone}`),
      editable ? h('a', { class: 'button primary', href: '/campaigns/new' }, 'New campaign') : null,
    ),
    campaigns.length === 0
      ? h('p', { class: 'empty' }, editable ? 'No campaign yet. A campaign posts on a rhythm, for example every day at 09:00 for 30 days.' : 'No campaign yet.')
      : h('ul', { class: 'workspace-list campaign-list' }, campaigns.map((c) =>
          h('li', { dataset: { campaignId: c.id } },
            h('div', null,
              h('a', { href: `/campaigns/${c.id}` }, h('strong', null, c.name)),
              c.cancelledAt ? h('span', { class: 'status status-cancelled' }, 'Ended') : null,
              h('p', { class: 'muted' }, describeRecurrence(c.recurrence)),
            ),
            h('div', { class: 'muted' }, `${c.posts.upcoming} upcoming of ${c.posts.total} post(s)`),
          ))),
  );
}

export async function renderNewCampaign(main) {
  const workspace = currentWorkspace();
  if (!canEdit(workspace)) {
    render(main, h('h1', null, 'New campaign'), h('p', { class: 'hint' }, 'You are a viewer in this workspace: campaigns need the editor role.'));
    return;
  }
  const { connections } = await get(`/api/workspaces/${workspace.id}/connections`);
  const usable = connections.filter((c) => c.state !== 'disconnected');
  if (usable.length === 0) {
    render(main, h('h1', null, 'New campaign'), h('p', { class: 'empty' }, 'Connect an account first. ', h('a', { href: '/connections' }, 'Go to connections')));
    return;
  }
  const { form, focus } = campaignForm(workspace, usable, null);
  render(main, h('div', { class: 'screen-head' }, h('h1', null, 'New campaign'), h('p', { class: 'sub' }, `Times in ${workspace.timeZone}`)), form);
  focus();
}

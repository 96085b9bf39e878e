/**
 * The campaign form: a name, the recurrence (recurrenceFields.js) and the content with its
 * accounts (contentFields.js). Creates a series (POST .../campaigns) or edits one
 * (PATCH .../campaigns/:id with the version it loaded; the recurrence is sent only when it
 * changed, since a new recurrence replaces the future occurrences).
 */
import { patch, post } from '../api.js';
import { contentFields } from '../contentFields.js';
import { busy, field, h, showIssues, toast } from '../dom.js';
import { navigate } from '../navigation.js';
import { normalizeRecurrence, recurrenceFields } from '../recurrenceFields.js';
import { localDate, nowMs } from '../time.js';

/**
 * @param {{ id: string, timeZone: string }} workspace
 * @param {any[]} connections  usable connections
 * @param {any} campaign  the campaign to edit, or null for a new one
 */
export function campaignForm(workspace, connections, campaign) {
  const name = h('input', { name: 'name', required: true, maxlength: 200, value: campaign?.name ?? '', placeholder: 'Spring launch' });
  const when = recurrenceFields(campaign?.recurrence ?? null, localDate(nowMs(), workspace.timeZone));
  const fields = contentFields(workspace, connections, campaign ? { content: campaign.content, connectionIds: campaign.connectionIds } : null);
  const error = h('p', { class: 'form-error', role: 'alert' });
  const details = h('ul', { class: 'issue-list' });

  const form = h(
    'form',
    {
      class: 'panel campaign-form',
      'aria-label': campaign ? 'Edit the series' : 'New campaign',
      onsubmit: (e) => {
        e.preventDefault();
        if (fields.chosenIds().length === 0) {
          error.textContent = 'Choose at least one account.';
          return;
        }
        details.replaceChildren();
        void busy(e.submitter, async () => {
          try {
            const { content, connectionIds } = await fields.read();
            const recurrence = when.read();
            const base = `/api/workspaces/${workspace.id}/campaigns`;
            let saved;
            if (campaign) {
              const changed = JSON.stringify(recurrence) !== JSON.stringify(normalizeRecurrence(campaign.recurrence));
              saved = await patch(`${base}/${campaign.id}`, { name: name.value.trim(), content, connectionIds, ...(changed ? { recurrence } : {}), version: campaign.version });
            } else {
              saved = await post(base, { name: name.value.trim(), recurrence, content, connectionIds });
            }
            await navigate(`/campaigns/${saved.id}`);
            toast(campaign ? `Series saved: ${saved.posts.upcoming} upcoming post(s).` : `Campaign ${saved.name} created: ${saved.posts.upcoming} post(s) scheduled.`);
          } catch (err) {
            showIssues(details, err);
            throw err;
          }
        }, error);
      },
    },
    field('Campaign name', name),
    when.nodes,
    h('fieldset', { class: 'campaign-content' }, h('legend', null, 'Every post of the series'), fields.nodes),
    error,
    details,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, campaign ? 'Save the series' : 'Create campaign'),
      campaign ? null : h('a', { class: 'button secondary', href: '/campaigns' }, 'Cancel'),
    ),
  );
  return { form, focus: () => name.focus() };
}

/**
 * A workspace's general settings: its name and time zone (admins, PATCH /api/workspaces/:id),
 * and archiving it (owners: it becomes read-only and is listed apart until unarchived).
 */
import { patch, post } from '../api.js';
import { busy, field, h, render, toast } from '../dom.js';
import { navigate, refresh } from '../navigation.js';
import { canAdmin, currentWorkspace, hasRole, loadWorkspaces } from '../session.js';
import { timeZones } from '../time.js';
import { settingsHead } from './settingsTabs.js';

export function renderWorkspaceSettings(main) {
  const workspace = currentWorkspace();
  render(main, settingsHead(workspace, 'Workspace settings'),
    canAdmin(workspace) ? generalForm(workspace) : h('section', { class: 'panel' },
      h('p', null, `Name: ${workspace.name}`), h('p', null, `Time zone: ${workspace.timeZone}`),
      h('p', { class: 'hint' }, 'Only admins and owners change these.')),
    hasRole('owner', workspace) ? archivePanel(workspace) : null,
  );
}

function generalForm(workspace) {
  const name = h('input', { name: 'name', required: true, maxlength: 100, value: workspace.name });
  const zone = h('select', { name: 'timeZone' }, timeZones().map((z) => h('option', { value: z, selected: z === workspace.timeZone }, z)));
  const error = h('p', { class: 'form-error', role: 'alert' });
  return h('form', {
    class: 'panel',
    'aria-labelledby': 'general-title',
    onsubmit: (e) => {
      e.preventDefault();
      void busy(e.submitter, async () => {
        const saved = await patch(`/api/workspaces/${workspace.id}`, { name: name.value.trim(), timeZone: zone.value });
        await loadWorkspaces();
        await refresh();
        toast(`${saved.name} saved; times are entered in ${saved.timeZone}.`);
      }, error);
    },
  },
  h('h2', { id: 'general-title' }, 'Name and time zone'),
  field('Workspace name', name),
  field('Time zone', zone, 'New posts are entered in this zone; posts already scheduled keep their time.'),
  error,
  h('button', { type: 'submit', class: 'primary' }, 'Save'));
}

function archivePanel(workspace) {
  return h('section', { class: 'panel', 'aria-labelledby': 'archive-title' },
    h('h2', { id: 'archive-title' }, 'Archive'),
    h('p', null, 'An archived workspace stays readable but refuses every change, and is listed apart. An owner can bring it back.'),
    h('button', {
      type: 'button',
      class: 'danger',
      onclick: (e) => {
        if (!confirm(`Archive ${workspace.name}?`)) return;
        void busy(e.currentTarget, async () => {
          await post(`/api/workspaces/${workspace.id}/archive`);
          await loadWorkspaces();
          await navigate('/workspaces');
          toast(`${workspace.name} is archived.`);
        });
      },
    }, 'Archive this workspace'));
}

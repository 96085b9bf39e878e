/**
 * Workspaces: the user's workspaces with their role and time zone, switch to one, open its
 * settings, create one; archived ones apart, with Unarchive for their owners.
 */
import { post } from '../api.js';
import { busy, field, h, render, toast } from '../dom.js';
import { navigate, refresh } from '../navigation.js';
import { loadWorkspaces, selectWorkspace, session } from '../session.js';
import { browserTimeZone, timeZones } from '../time.js';

function zoneSelect(selected, name) {
  return h('select', { name }, timeZones().map((z) => h('option', { value: z, selected: z === selected }, z)));
}

export function renderWorkspaces(main) {
  const name = h('input', { name: 'name', required: true, maxlength: 100, placeholder: 'Client name' });
  const zone = zoneSelect(browserTimeZone(), 'timeZone');
  const error = h('p', { class: 'form-error', role: 'alert' });
  const first = session.workspaces.length === 0;

  const create = h(
    'form',
    {
      class: 'panel',
      'aria-labelledby': 'create-ws-title',
      onsubmit: (e) => {
        e.preventDefault();
        void busy(e.submitter, async () => {
          const created = await post('/api/workspaces', { name: name.value.trim(), timeZone: zone.value });
          await loadWorkspaces();
          selectWorkspace(created.id);
          await navigate('/connections');
          toast(`Workspace ${created.name} created.`);
        }, error);
      },
    },
    h('h2', { id: 'create-ws-title' }, first ? 'Create your first workspace' : 'New workspace'),
    h('p', { class: 'hint' }, 'A workspace holds one brand or client: its connected accounts, posts and members. Times are entered in its time zone.'),
    field('Name', name),
    field('Time zone', zone),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Create workspace'),
  );

  render(
    main,
    h('div', { class: 'screen-head' }, h('h1', null, 'Workspaces')),
    first
      ? null
      : h('ul', { class: 'workspace-list' }, session.workspaces.map((w) => workspaceItem(w))),
    archivedList(),
    create,
  );
  if (first) name.focus();
}

function workspaceItem(w) {
  const current = w.id === session.workspaceId;
  const open = (path) => () => {
    selectWorkspace(w.id);
    navigate(path);
  };
  return h(
    'li',
    { class: current ? 'current' : null, dataset: { workspaceId: w.id } },
    h('div', null, h('strong', null, w.name), h('span', { class: 'muted' }, ` · ${w.role} · ${w.timeZone}`), current ? h('span', { class: 'tag' }, 'current') : null),
    h('div', { class: 'actions' },
      current ? null : h('button', { type: 'button', class: 'secondary small', 'aria-label': `Open ${w.name}`, onclick: open('/connections') }, 'Open'),
      h('button', { type: 'button', class: 'secondary small', 'aria-label': `Settings of ${w.name}`, onclick: open('/settings/workspace') }, 'Settings'),
    ),
  );
}

/** Archived workspaces: read-only, listed apart; their owners bring them back. */
function archivedList() {
  if (session.archived.length === 0) return null;
  return h('section', { class: 'panel', 'aria-labelledby': 'archived-title' },
    h('h2', { id: 'archived-title' }, 'Archived'),
    h('ul', { class: 'workspace-list' }, session.archived.map((w) =>
      h('li', { dataset: { workspaceId: w.id } },
        h('div', null, h('strong', null, w.name), h('span', { class: 'muted' }, ` · ${w.role} · archived ${String(w.archivedAt).slice(0, 10)}`)),
        w.role === 'owner'
          ? h('button', {
              type: 'button',
              class: 'secondary small',
              'aria-label': `Unarchive ${w.name}`,
              onclick: (e) => busy(e.currentTarget, async () => {
                await post(`/api/workspaces/${w.id}/unarchive`);
                await loadWorkspaces();
                await refresh();
                toast(`${w.name} is back.`);
              }),
            }, 'Unarchive')
          : null,
      ))),
  );
}

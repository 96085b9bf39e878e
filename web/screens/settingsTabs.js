/**
 * The workspace settings' tabs (General, Members, Access register, Webhooks). Tabs a role may
 * not use are left out; the API refuses them anyway.
 */
import { h } from '../dom.js';
import { canAdmin } from '../session.js';

const TABS = [
  ['/settings/workspace', 'General', false],
  ['/settings/members', 'Members', false],
  ['/settings/access-register', 'Access register', true],
  ['/settings/webhooks', 'Webhooks', true],
];

/** The heading and tabs of a workspace settings screen. */
export function settingsHead(workspace, title) {
  return [
    h('div', { class: 'screen-head' }, h('h1', null, title), h('p', { class: 'sub' }, `${workspace.name} · your role: ${workspace.role}`)),
    h('nav', { class: 'tabs', 'aria-label': 'Workspace settings' },
      TABS.filter(([, , admin]) => !admin || canAdmin(workspace)).map(([path, label]) =>
        h('a', { href: path, 'aria-current': location.pathname === path ? 'page' : null }, label))),
  ];
}

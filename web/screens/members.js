/**
 * Members and invitations of the current workspace. Everyone sees the members and their roles;
 * admins change roles, remove members, invite by email and revoke pending invitations; only
 * owners grant, change or remove the owner role. Anyone may leave (the last owner may not).
 */
import { del, get, patch, post } from '../api.js';
import { busy, field, h, render, toast } from '../dom.js';
import { navigate, refresh } from '../navigation.js';
import { canAdmin, currentWorkspace, hasRole, loadWorkspaces, session } from '../session.js';
import { formatInstant } from '../time.js';
import { settingsHead } from './settingsTabs.js';

const ROLES = ['owner', 'admin', 'editor', 'viewer'];
const ROLE_HINTS = { owner: 'everything, archive, owners', admin: 'members, settings, disconnect', editor: 'posts, campaigns, connections', viewer: 'read only' };

export async function renderMembers(main) {
  const workspace = currentWorkspace();
  const base = `/api/workspaces/${workspace.id}`;
  const admin = canAdmin(workspace);
  const [{ members }, invitations] = await Promise.all([get(`${base}/members`), admin ? get(`${base}/invitations`).then((r) => r.invitations) : null]);
  const ctx = { workspace, base, admin, owner: hasRole('owner', workspace) };
  render(
    main,
    settingsHead(workspace, 'Members'),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'members' },
        h('caption', { class: 'visually-hidden' }, 'Members of the workspace'),
        h('thead', null, h('tr', null, ['Name', 'Email', 'Role', 'Joined', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, members.map((m) => memberRow(m, ctx))),
      ),
    ),
    admin ? inviteForm(ctx) : null,
    admin ? pendingList(invitations, ctx) : null,
  );
}

function memberRow(m, ctx) {
  const self = m.userId === session.user.id;
  // Owners manage everyone; admins everyone but owners.
  const manageable = ctx.admin && !self && (ctx.owner || m.role !== 'owner');
  const label = m.name || m.email;
  const role = manageable
    ? h('select', {
        'aria-label': `Role of ${label}`,
        onchange: (e) => {
          const select = e.currentTarget;
          void busy(select, async () => {
            await patch(`${ctx.base}/members/${m.userId}`, { role: select.value });
            await refresh();
            toast(`${label} is now ${select.value}.`);
          }).then(() => { if (select.isConnected) select.value = m.role; });
        },
      }, ROLES.filter((r) => ctx.owner || r !== 'owner').map((r) => h('option', { value: r, selected: r === m.role }, `${r} (${ROLE_HINTS[r]})`)))
    : h('span', { class: 'status' }, m.role);
  return h('tr', { dataset: { userId: m.userId, role: m.role } },
    h('td', null, m.name || '—', self ? h('span', { class: 'tag' }, 'you') : null),
    h('td', null, m.email),
    h('td', null, role),
    h('td', null, formatInstant(m.joinedAt, ctx.workspace.timeZone)),
    h('td', { class: 'row-actions' },
      manageable ? removeButton(m, label, ctx, false) : null,
      self ? removeButton(m, label, ctx, true) : null),
  );
}

function removeButton(m, label, ctx, leaving) {
  return h('button', {
    type: 'button',
    class: 'danger small',
    'aria-label': leaving ? 'Leave this workspace' : `Remove ${label}`,
    onclick: (e) => {
      if (!confirm(leaving ? `Leave ${ctx.workspace.name}? You lose access to it.` : `Remove ${label} from ${ctx.workspace.name}?`)) return;
      void busy(e.currentTarget, async () => {
        await del(`${ctx.base}/members/${m.userId}`);
        if (leaving) {
          await loadWorkspaces();
          await navigate('/workspaces');
          toast(`You left ${ctx.workspace.name}.`);
          return;
        }
        await refresh();
        toast(`${label} was removed.`);
      });
    },
  }, leaving ? 'Leave' : 'Remove');
}

function inviteForm(ctx) {
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'off' });
  const role = h('select', { name: 'role' }, ROLES.filter((r) => ctx.owner || r !== 'owner').map((r) => h('option', { value: r, selected: r === 'editor' }, `${r} (${ROLE_HINTS[r]})`)));
  const error = h('p', { class: 'form-error', role: 'alert' });
  return h('form', {
    class: 'panel',
    'aria-labelledby': 'invite-title',
    onsubmit: (e) => {
      e.preventDefault();
      void busy(e.submitter, async () => {
        const sent = await post(`${ctx.base}/invitations`, { email: email.value.trim(), role: role.value });
        await refresh();
        toast(`Invitation sent to ${sent.email}.`);
      }, error);
    },
  },
  h('h2', { id: 'invite-title' }, 'Invite someone'),
  h('p', { class: 'hint' }, 'They get an email with a link, valid once for 7 days.'),
  h('div', { class: 'field-row' }, field('Email', email), field('Role', role)),
  error,
  h('button', { type: 'submit', class: 'primary' }, 'Send invitation'));
}

function pendingList(invitations, ctx) {
  return h('section', { class: 'panel', 'aria-labelledby': 'pending-title' },
    h('h2', { id: 'pending-title' }, 'Pending invitations'),
    invitations.length === 0
      ? h('p', { class: 'empty' }, 'None.')
      : h('ul', { class: 'invitation-list' }, invitations.map((i) =>
          h('li', { dataset: { invitationId: i.id } },
            h('span', null, h('strong', null, i.email), ` as ${i.role}`),
            h('span', { class: 'muted' }, i.expired ? ' · expired' : ` · valid until ${formatInstant(i.expiresAt, ctx.workspace.timeZone)}`),
            h('button', {
              type: 'button',
              class: 'secondary small',
              'aria-label': `Revoke the invitation of ${i.email}`,
              onclick: (e) => busy(e.currentTarget, async () => {
                await del(`${ctx.base}/invitations/${i.id}`);
                await refresh();
                toast(`The invitation of ${i.email} is revoked.`);
              }),
            }, 'Revoke'),
          ))),
  );
}

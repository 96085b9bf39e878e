/**
 * The signed-in user's settings: personal API tokens (/api/tokens: list, create, shown once,
 * revoke), a link to the alert email preferences, and for the instance owner the instance
 * settings (PATCH /api/instance/settings: open sign-up).
 */
import { del, get, patch, post } from '../api.js';
import { busy, copyButton, field, h, render, toast } from '../dom.js';
import { refresh } from '../navigation.js';
import { currentWorkspace, session } from '../session.js';
import { formatInstant } from '../time.js';

/** The token just created, drawn once by the next render and then forgotten. */
let justCreated = null;

export async function renderAccount(main) {
  const owner = session.user.isInstanceOwner;
  const [{ tokens }, settings] = await Promise.all([get('/api/tokens'), owner ? get('/api/instance/settings') : null]);
  const created = justCreated;
  justCreated = null;
  const zone = currentWorkspace()?.timeZone;
  render(
    main,
    h('div', { class: 'screen-head' }, h('h1', null, 'Your settings'), h('p', { class: 'sub' }, session.user.email)),
    h('p', null, 'Alert emails and the daily digest: ', h('a', { href: '/settings/notifications' }, 'notification preferences'), '.'),
    tokensPanel(tokens, created, zone),
    owner ? instancePanel(settings) : null,
  );
}

function tokensPanel(tokens, created, zone) {
  const name = h('input', { name: 'name', required: true, maxlength: 100, placeholder: 'Sandbox CLI on my laptop' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  return h('section', { class: 'panel', 'aria-labelledby': 'tokens-title' },
    h('h2', { id: 'tokens-title' }, 'API tokens'),
    h('p', { class: 'hint' }, 'For scripts and the command line (', h('code', null, 'perennial sandbox --token …'), '): send ', h('code', null, 'Authorization: Bearer <token>'), '. A token acts as you.'),
    created
      ? h('div', { class: 'notice notice-ok secret-once', role: 'status' },
          h('p', null, h('strong', null, `Token ${created.name} created.`), ' It is shown only now: copy it somewhere safe.'),
          h('div', { class: 'inline' }, h('input', { readonly: true, value: created.token, 'aria-label': 'New API token', class: 'secret-value' }), copyButton(created.token)))
      : null,
    tokens.length === 0
      ? h('p', { class: 'empty' }, 'No token yet.')
      : h('ul', { class: 'invitation-list token-list' }, tokens.map((t) =>
          h('li', { dataset: { tokenId: t.id } },
            h('span', null, h('strong', null, t.name), ' ', h('code', null, `${t.prefix}…`)),
            h('span', { class: 'muted' }, ` · created ${formatInstant(t.createdAt, zone)} · ${t.lastUsedAt ? `last used ${formatInstant(t.lastUsedAt, zone)}` : 'never used'}`),
            h('button', {
              type: 'button',
              class: 'danger small',
              'aria-label': `Revoke the token ${t.name}`,
              onclick: (e) => {
                if (!confirm(`Revoke ${t.name}? Scripts using it stop working.`)) return;
                void busy(e.currentTarget, async () => {
                  await del(`/api/tokens/${t.id}`);
                  await refresh();
                  toast(`${t.name} is revoked.`);
                });
              },
            }, 'Revoke'),
          ))),
    h('form', {
      class: 'inline-form',
      onsubmit: (e) => {
        e.preventDefault();
        void busy(e.submitter, async () => {
          justCreated = await post('/api/tokens', { name: name.value.trim() });
          await refresh();
        }, error);
      },
    }, field('Token name', name), error, h('button', { type: 'submit', class: 'primary' }, 'Create token')),
  );
}

function instancePanel(settings) {
  const open = h('input', { type: 'checkbox', name: 'openSignUp', checked: settings.openSignUp });
  const error = h('p', { class: 'form-error', role: 'alert' });
  return h('form', {
    class: 'panel',
    'aria-labelledby': 'instance-title',
    onsubmit: (e) => {
      e.preventDefault();
      void busy(e.submitter, async () => {
        const saved = await patch('/api/instance/settings', { openSignUp: open.checked });
        await refresh();
        toast(saved.openSignUp ? 'Anyone can now create an account.' : 'Sign-up is by invitation only.');
      }, error);
    },
  },
  h('h2', { id: 'instance-title' }, 'This Perennial instance'),
  h('p', { class: 'hint' }, 'You are the instance owner.'),
  h('label', { class: 'choice' }, open, h('span', null, 'Open sign-up: anyone who reaches this instance can create an account (otherwise by invitation only)')),
  error,
  h('button', { type: 'submit', class: 'primary' }, 'Save instance settings'));
}

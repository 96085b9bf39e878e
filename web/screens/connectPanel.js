/**
 * The connections screen's "Connect an account" panel: Connect per platform (OAuth through the
 * platform's consent page), the server form of platforms that need one (Mastodon), and the
 * app-password form (Bluesky), which also reconnects (`?reconnect=<id>`).
 */
import { post } from '../api.js';
import { busy, field, h } from '../dom.js';
import { navigate } from '../navigation.js';
import { session } from '../session.js';
import { showAccountSelection } from './selectAccount.js';

/**
 * The emulator's fake app-password accounts (src/emulator/platforms/bluesky.ts), so a newcomer
 * can try the form in the sandbox.
 */
const SANDBOX_LOGINS = { bluesky: 'sign in as alice.sandbox.bsky.social with the app password abcd-efgh-ijkl-mnop.' };

export function connectPanel(platforms, workspace) {
  const reconnectId = new URL(location.href).searchParams.get('reconnect');
  const oauth = platforms.filter((p) => p.connectMethod === 'oauth2');
  const error = h('p', { class: 'form-error', role: 'alert' });
  const connect = (button, body) =>
    busy(button, async () => {
      const { authorizationUrl } = await post(`/api/workspaces/${workspace.id}/connections/authorize`, body);
      location.assign(authorizationUrl);
    }, error);

  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'connect-title' },
    h('h2', { id: 'connect-title' }, 'Connect an account'),
    h('p', { class: 'hint' }, 'You will authorize Perennial on the platform, then come back here.'),
    h(
      'div',
      { class: 'connect-grid' },
      oauth
        .filter((p) => p.instanceUrl !== 'required')
        .map((p) =>
          h('button', { type: 'button', class: 'connect', dataset: { platform: p.id }, onclick: (e) => connect(e.currentTarget, { platform: p.id }) },
            `Connect ${p.displayName}`,
            p.mode === 'sandbox' ? h('span', { class: 'tag' }, 'sandbox') : null,
          ),
        ),
    ),
    error,
    oauth.filter((p) => p.instanceUrl === 'required').map((p) => instanceForm(p, connect)),
    platforms.filter((p) => p.connectMethod === 'app_password').map((p) => passwordForm(p, workspace, reconnectId)),
  );
}

function instanceForm(platform, connect) {
  const input = h('input', { type: 'url', name: 'instanceUrl', required: true, placeholder: 'https://mastodon.social', autocomplete: 'url' });
  return h(
    'form',
    {
      class: 'inline-form',
      dataset: { instanceForm: platform.id },
      onsubmit: (e) => {
        e.preventDefault();
        void connect(e.submitter, { platform: platform.id, instanceUrl: input.value.trim() });
      },
    },
    h('h3', null, platform.displayName, platform.mode === 'sandbox' ? h('span', { class: 'tag' }, 'sandbox') : null),
    field('Your server', input, 'The address of the server your account lives on.'),
    h('button', { type: 'submit', class: 'primary' }, `Connect ${platform.displayName}`),
  );
}

function passwordForm(platform, workspace, reconnectId) {
  const reconnecting = reconnectId && session.workspaceId === workspace.id ? reconnectId : null;
  const identifier = h('input', { name: 'identifier', required: true, autocomplete: 'username', placeholder: 'you.bsky.social' });
  const password = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'off' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  return h(
    'form',
    {
      class: 'inline-form',
      dataset: { passwordForm: platform.id },
      onsubmit: (e) => {
        e.preventDefault();
        void busy(e.submitter, async () => {
          const body = { platform: platform.id, identifier: identifier.value.trim(), password: password.value };
          if (reconnecting) body.connectionId = reconnecting;
          const result = await post(`/api/workspaces/${workspace.id}/connections/password`, body);
          password.value = '';
          if (result.result === 'select_account') return showAccountSelection(workspace.id, result.selectionId, result.accounts);
          navigate(`/connections?${result.result}=${result.connection.id}`, { replace: true });
        }, error);
      },
    },
    h('h3', null, reconnecting ? `Reconnect ${platform.displayName}` : platform.displayName, platform.mode === 'sandbox' ? h('span', { class: 'tag' }, 'sandbox') : null),
    h('p', { class: 'hint' }, 'Create an app password in your account settings. Perennial uses it once to sign in and never stores it.'),
    platform.mode === 'sandbox' && SANDBOX_LOGINS[platform.id] ? h('p', { class: 'hint' }, `Sandbox: ${SANDBOX_LOGINS[platform.id]}`) : null,
    field('Handle or email', identifier),
    field('App password', password),
    error,
    h('button', { type: 'submit', class: 'primary' }, reconnecting ? 'Reconnect' : `Connect ${platform.displayName}`),
  );
}


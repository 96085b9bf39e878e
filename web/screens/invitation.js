/**
 * An invitation link (/invitation#token=...): the token stays in the fragment (never sent to
 * a server log) and goes to the API in request bodies. Signed in: accept. Signed out: create
 * the account with the invitation, or sign in first.
 */
import { post } from '../api.js';
import { busy, field, h, render } from '../dom.js';
import { navigate } from '../navigation.js';
import { loadWorkspaces, selectWorkspace, session, signedIn } from '../session.js';

export async function renderInvitation(main) {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) {
    render(main, h('div', { class: 'panel', role: 'alert' }, h('h1', null, 'Invitation'), h('p', null, 'This link has no invitation in it. Open the link from the email again.')));
    return;
  }
  const invitation = await post('/api/invitations/lookup', { token });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const intro = h('p', null, `You are invited to ${invitation.workspaceName} as ${invitation.role} (${invitation.email}).`);

  if (session.user) {
    render(main, h('div', { class: 'panel' },
      h('h1', null, 'Join the workspace'), intro, error,
      h('button', {
        type: 'button',
        class: 'primary',
        onclick: (e) => busy(e.currentTarget, async () => {
          const { workspaceId } = await post('/api/invitations/accept', { token });
          await loadWorkspaces();
          selectWorkspace(workspaceId);
          navigate('/connections', { replace: true });
        }, error),
      }, `Join ${invitation.workspaceName}`),
    ));
    return;
  }

  const name = h('input', { name: 'name', autocomplete: 'name' });
  const password = h('input', { type: 'password', name: 'password', required: true, minlength: 10, autocomplete: 'new-password' });
  render(main, h('form', {
    class: 'panel auth',
    onsubmit: (e) => {
      e.preventDefault();
      void busy(e.submitter, async () => {
        const body = { email: invitation.email, password: password.value, invitationToken: token };
        if (name.value.trim()) body.name = name.value.trim();
        signedIn(await post('/api/auth/signup', body));
        await loadWorkspaces();
        navigate('/connections', { replace: true });
      }, error);
    },
  },
  h('h1', null, 'Create your account'), intro,
  field('Your name', name),
  field('Password', password, 'At least 10 characters, of at least two kinds.'),
  error,
  h('button', { type: 'submit', class: 'primary' }, 'Create account and join'),
  h('p', { class: 'hint' }, 'Already have an account? ', h('a', { href: '/signin' }, 'Sign in'), ', then open the link again.'),
  ));
}

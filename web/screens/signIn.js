/**
 * Sign in, or create the first account (the first person becomes the instance owner; later
 * sign-ups need an invitation unless the owner opened sign-up).
 */
import { post } from '../api.js';
import { busy, field, h, render } from '../dom.js';
import { loadWorkspaces, signedIn } from '../session.js';

export function renderSignIn(main, _params, mode = 'signin') {
  const signingUp = mode === 'signup';
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'email' });
  const password = h('input', { type: 'password', name: 'password', required: true, minlength: 10, autocomplete: signingUp ? 'new-password' : 'current-password' });
  const name = h('input', { name: 'name', autocomplete: 'name', maxlength: 100 });
  const error = h('p', { class: 'form-error', role: 'alert' });

  const form = h(
    'form',
    {
      class: 'panel auth',
      'aria-labelledby': 'auth-title',
      onsubmit: (e) => {
        e.preventDefault();
        void busy(e.submitter, async () => {
          const body = { email: email.value.trim(), password: password.value };
          if (signingUp && name.value.trim()) body.name = name.value.trim();
          const result = await post(signingUp ? '/api/auth/signup' : '/api/auth/signin', body);
          signedIn(result);
          await loadWorkspaces();
          window.dispatchEvent(new Event('perennial:signed-in'));
        }, error);
      },
    },
    h('h1', { id: 'auth-title' }, signingUp ? 'Create your account' : 'Sign in to Perennial'),
    signingUp ? h('p', { class: 'hint' }, 'The first account of a new Perennial becomes its owner.') : null,
    signingUp ? field('Your name', name) : null,
    field('Email', email),
    field('Password', password, signingUp ? 'At least 10 characters, of at least two kinds (lower, upper, digits, symbols).' : null),
    error,
    h('button', { type: 'submit', class: 'primary' }, signingUp ? 'Create account' : 'Sign in'),
    h('p', { class: 'switch' },
      signingUp ? 'Already have an account? ' : 'New here? ',
      h('button', { type: 'button', class: 'link-button', onclick: () => renderSignIn(main, _params, signingUp ? 'signin' : 'signup') }, signingUp ? 'Sign in' : 'Create an account'),
    ),
  );
  render(main, h('div', { class: 'auth-wrap' }, h('p', { class: 'brand big' }, 'Perennial'), h('p', { class: 'tagline' }, 'Connect once, post forever.'), form));
  (signingUp ? name : email).focus();
}

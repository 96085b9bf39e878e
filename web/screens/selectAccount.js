/**
 * Picking the Page / organization / account of a finished authorization (the API answered
 * `select_account`): POST .../connections/select with the choice.
 * After a browser redirect the callback only names the selection (`?select=<id>`); its choices
 * come from GET .../connections/selections/:id.
 */
import { ApiError, get, post } from '../api.js';
import { busy, errorText, h, render } from '../dom.js';
import { navigate } from '../navigation.js';

export async function showAccountSelection(workspaceId, selectionId, accounts) {
  const dialog = document.getElementById('select-account');
  const error = h('p', { class: 'form-error', role: 'alert' });
  let choices = accounts;
  if (!choices) {
    try {
      ({ accounts: choices } = await get(`/api/workspaces/${workspaceId}/connections/selections/${selectionId}`));
    } catch (err) {
      const gone = err instanceof ApiError && err.status === 404;
      render(
        dialog,
        h('h2', { id: 'select-account-title' }, 'Choose the account to connect'),
        h('p', { role: 'alert' }, gone ? `The accounts of this authorization cannot be listed: ${errorText(err)}. Start connecting again.` : errorText(err)),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => dialog.close() }, 'Close')),
      );
      dialog.showModal();
      return;
    }
  }
  const radios = choices.map((a, i) =>
    h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'account', value: a.platformAccountId, checked: i === 0 }),
      h('span', null, h('strong', null, a.displayName), a.handle ? ` @${a.handle}` : '', h('small', { class: 'muted' }, ` ${a.kind}`)),
    ),
  );
  const form = h(
    'form',
    {
      method: 'dialog',
      onsubmit: (e) => {
        e.preventDefault();
        const picked = form.querySelector('input[name=account]:checked')?.value;
        if (!picked) return;
        void busy(e.submitter, async () => {
          const result = await post(`/api/workspaces/${workspaceId}/connections/select`, { selectionId, platformAccountId: picked });
          dialog.close();
          navigate(`/connections?${result.result}=${result.connection.id}`, { replace: true });
        }, error);
      },
    },
    h('fieldset', null, h('legend', null, 'Accounts this authorization can act for'), radios),
    error,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Connect'),
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
    ),
  );
  render(dialog, h('h2', { id: 'select-account-title' }, 'Choose the account to connect'), form);
  dialog.showModal();
}

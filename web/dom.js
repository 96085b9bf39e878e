/**
 * A small element builder in place of a framework: `h('button', { onclick }, 'Save')`.
 * Strings become text nodes (never HTML), so API data cannot inject markup.
 */

/**
 * @param {string} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...unknown} children  strings, numbers, nodes, arrays of them; null/false skipped
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the element's content. */
export function render(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A short-lived message in the live region (screen readers announce it). */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toast');
  const item = h('p', { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** A form's error line: text for people, with the API's code for support. */
export function errorText(err) {
  return err && err.code ? `${err.message} (${err.code})` : String(err?.message ?? err);
}

/**
 * post_invalid lists a problem per account and field (details.issues): draws them all into
 * `list` (a <ul>), not only the first that the message names. Other errors clear the list.
 */
export function showIssues(list, err) {
  const issues = err?.details?.issues;
  list.replaceChildren(...(Array.isArray(issues) ? issues.map((i) => h('li', null, i.message)) : []));
}

/**
 * Runs `action` while the button shows it is busy; errors land in `errorEl` (or a toast).
 * @param {HTMLButtonElement | null} button
 * @param {() => Promise<unknown>} action
 * @param {HTMLElement} [errorEl]
 */
export async function busy(button, action, errorEl) {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  if (errorEl) errorEl.textContent = '';
  try {
    return await action();
  } catch (err) {
    if (errorEl) errorEl.textContent = errorText(err);
    else toast(errorText(err), 'error');
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

/** A labelled input: label text, then the control. */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'hint' }, hint) : null);
}

/** A button that copies `text` (a secret shown once); the text also stays selectable beside it. */
export function copyButton(text, label = 'Copy') {
  return h('button', {
    type: 'button',
    class: 'secondary small',
    onclick: async () => {
      try {
        await window.navigator.clipboard.writeText(text);
        toast('Copied.');
      } catch {
        // The clipboard may be refused (permissions, plain http): the value stays selectable in its field.
        toast('The browser refused the clipboard: copy it from the field.', 'error');
      }
    },
  }, label);
}

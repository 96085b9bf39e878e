/**
 * Outbound webhooks of the workspace (admins, /api/workspaces/:id/webhooks): the endpoints,
 * adding one (its signing secret is shown this once), pausing or deleting one, and each
 * endpoint's delivery log.
 */
import { del, get, patch, post } from '../api.js';
import { busy, copyButton, field, h, render, toast } from '../dom.js';
import { refresh } from '../navigation.js';
import { canAdmin, currentWorkspace } from '../session.js';
import { formatInstant } from '../time.js';
import { settingsHead } from './settingsTabs.js';

/** The event types of src/webhooks/enqueueWebhookEvent.ts (a test keeps the two lists equal). */
export const WEBHOOK_EVENTS = [
  ['connection.expiring', 'A connection will expire and cannot be refreshed automatically'],
  ['connection.needs_reconnect', 'A connection needs reconnecting'],
  ['connection.reconnected', 'A connection was reconnected'],
  ['post.failed', 'A post failed'],
];

/** The secret of the endpoint just added, drawn once by the next render and then forgotten. */
let justCreated = null;

export async function renderWebhooks(main) {
  const workspace = currentWorkspace();
  if (!canAdmin(workspace)) {
    render(main, settingsHead(workspace, 'Webhooks'), h('p', { class: 'hint' }, 'Webhooks are managed by admins and owners of the workspace.'));
    return;
  }
  const base = `/api/workspaces/${workspace.id}/webhooks`;
  const { items } = await get(base);
  const created = justCreated;
  justCreated = null;
  render(
    main,
    settingsHead(workspace, 'Webhooks'),
    h('p', null, 'Perennial sends a signed POST to these URLs when the events happen. Check the ', h('code', null, 'perennial-signature'), ' header with the endpoint’s secret.'),
    created ? secretPanel(created.url, created.secret) : null,
    items.length === 0
      ? h('p', { class: 'empty' }, 'No endpoint yet.')
      : h('ul', { class: 'webhook-list' }, items.map((e) => endpointItem(e, base, workspace))),
    createForm(base),
  );
}

function endpointItem(e, base, workspace) {
  const log = h('div', { class: 'delivery-log' });
  return h('li', { class: 'panel', dataset: { endpointId: e.id } },
    h('div', { class: 'post-head' },
      h('strong', null, e.url),
      e.enabled ? h('span', { class: 'status status-healthy' }, 'Active') : h('span', { class: 'status status-paused' }, 'Paused'),
      h('span', { class: 'post-actions' },
        h('button', {
          type: 'button',
          class: 'secondary small',
          onclick: (ev) => busy(ev.currentTarget, async () => {
            await patch(`${base}/${e.id}`, { enabled: !e.enabled });
            await refresh();
            toast(e.enabled ? 'Endpoint paused.' : 'Endpoint active again.');
          }),
        }, e.enabled ? 'Pause' : 'Resume'),
        h('button', {
          type: 'button',
          class: 'danger small',
          'aria-label': `Delete the endpoint ${e.url}`,
          onclick: (ev) => {
            if (!confirm(`Delete the endpoint ${e.url} and its delivery log?`)) return;
            void busy(ev.currentTarget, async () => {
              await del(`${base}/${e.id}`);
              await refresh();
              toast('Endpoint deleted.');
            });
          },
        }, 'Delete'),
      ),
    ),
    e.description ? h('p', null, e.description) : null,
    h('p', { class: 'muted' }, `Events: ${e.events.join(', ')} · added ${formatInstant(e.createdAt, workspace.timeZone)}`),
    h('details', {
      ontoggle: (ev) => {
        if (ev.currentTarget.open) void loadLog(log, `${base}/${e.id}/deliveries`, workspace.timeZone);
      },
    }, h('summary', null, 'Delivery log'), log),
  );
}

async function loadLog(box, url, tz) {
  box.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  let items;
  try {
    ({ items } = await get(url));
  } catch (err) {
    box.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, err.message));
    return;
  }
  box.replaceChildren(items.length === 0
    ? h('p', { class: 'empty' }, 'Nothing delivered yet.')
    : h('div', { class: 'table-wrap' }, h('table', { class: 'deliveries' },
        h('thead', null, h('tr', null, ['Event', 'Status', 'Attempts', 'Last answer', 'Created', 'Delivered'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, items.map((d) => h('tr', { dataset: { status: d.status } },
          h('td', null, d.eventType),
          h('td', null, h('span', { class: `status status-${d.status === 'delivered' ? 'published' : d.status === 'failed' ? 'failed' : 'scheduled'}` }, d.status)),
          h('td', null, String(d.attempts)),
          h('td', null, d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : '', d.lastError ? h('div', { class: 'muted' }, d.lastError) : null),
          h('td', null, formatInstant(d.createdAt, tz)),
          h('td', null, formatInstant(d.deliveredAt, tz)),
        ))),
      )));
}

function createForm(base) {
  const url = h('input', { type: 'url', name: 'url', required: true, placeholder: 'https://example.com/perennial-hook' });
  const description = h('input', { name: 'description', maxlength: 200 });
  const boxes = WEBHOOK_EVENTS.map(([type, label]) =>
    h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'event', value: type, checked: true }), h('span', null, h('code', null, type), ` ${label}`)));
  const error = h('p', { class: 'form-error', role: 'alert' });
  return h('form', {
    class: 'panel',
    'aria-labelledby': 'new-webhook-title',
    onsubmit: (e) => {
      e.preventDefault();
      const events = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      if (events.length === 0) {
        error.textContent = 'Choose at least one event.';
        return;
      }
      void busy(e.submitter, async () => {
        const body = { url: url.value.trim(), events };
        if (description.value.trim()) body.description = description.value.trim();
        const { endpoint, secret } = await post(base, body);
        justCreated = { url: endpoint.url, secret };
        await refresh();
      }, error);
    },
  },
  h('h2', { id: 'new-webhook-title' }, 'Add an endpoint'),
  field('URL', url, 'It must be reachable at a public address.'),
  field('Description (optional)', description),
  h('fieldset', null, h('legend', null, 'Events'), h('div', { class: 'choices vertical' }, boxes)),
  error,
  h('button', { type: 'submit', class: 'primary' }, 'Add endpoint'));
}

/** The secret exists in clear only in the creation's answer: show it once, with a way to copy it. */
function secretPanel(url, secret) {
  return h('div', { class: 'notice notice-ok secret-once', role: 'status' },
    h('p', null, h('strong', null, `Endpoint ${url} added.`), ' Its signing secret is shown only now: copy it into your receiver.'),
    h('div', { class: 'inline' }, h('input', { readonly: true, value: secret, 'aria-label': 'Signing secret', class: 'secret-value' }), copyButton(secret)),
  );
}

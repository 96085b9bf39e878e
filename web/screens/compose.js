/**
 * The composer: one post for one or many connections, as a draft or scheduled at a local time
 * in the workspace's time zone (POST /api/workspaces/:id/posts).
 */
import { get, post, upload } from '../api.js';
import { busy, field, h, render, toast } from '../dom.js';
import { navigate } from '../navigation.js';
import { countCharacters, platformLabel, TEXT_LIMITS } from '../platforms.js';
import { canEdit, currentWorkspace } from '../session.js';
import { localDateTime, nowMs } from '../time.js';

export async function renderCompose(main) {
  const workspace = currentWorkspace();
  const { connections } = await get(`/api/workspaces/${workspace.id}/connections`);
  const usable = connections.filter((c) => c.state !== 'disconnected');
  if (!canEdit(workspace)) {
    render(main, h('h1', null, 'Compose'), h('p', { class: 'hint' }, 'You are a viewer in this workspace: composing needs the editor role.'));
    return;
  }
  if (usable.length === 0) {
    render(main, h('h1', null, 'Compose'), h('p', { class: 'empty' }, 'Connect an account first. ', h('a', { href: '/connections' }, 'Go to connections')));
    return;
  }

  const text = h('textarea', { name: 'text', rows: 6, required: true, maxlength: 70000 });
  const counter = h('small', { class: 'hint', 'aria-live': 'polite' });
  const link = h('input', { type: 'url', name: 'link', placeholder: 'https://…' });
  const files = h('input', { type: 'file', name: 'media', multiple: true, accept: 'image/*,video/*' });
  // Files already uploaded (a retry after a refused post does not upload them again).
  const uploaded = new Map();
  const uploadAll = async () => {
    const ids = [];
    for (const file of files.files ?? []) {
      if (!uploaded.has(file)) uploaded.set(file, (await upload(`/api/workspaces/${workspace.id}/media`, file)).id);
      ids.push(uploaded.get(file));
    }
    return ids;
  };
  // The default: the next full hour, in the workspace's zone.
  const at = h('input', { type: 'datetime-local', name: 'scheduledAt', required: true, value: localDateTime(Math.ceil((nowMs() + 60_000) / 3_600_000) * 3_600_000, workspace.timeZone) });
  const boxes = usable.map((c, i) =>
    h('label', { class: 'choice' },
      h('input', { type: 'checkbox', name: 'connection', value: c.id, checked: usable.length === 1 || i === 0, dataset: { platform: c.platform } }),
      h('span', null, `${platformLabel(c.platform)} · ${c.displayName}`),
      c.state === 'needs_reconnect' ? h('small', { class: 'status status-needs_reconnect' }, 'needs reconnect: the post waits, paused') : null,
    ),
  );
  const error = h('p', { class: 'form-error', role: 'alert' });

  const updateCounter = () => {
    const chosen = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.dataset.platform);
    const limits = chosen.map((p) => [p, TEXT_LIMITS[p]]).filter(([, n]) => n).sort((a, b) => a[1] - b[1]);
    const used = countCharacters(text.value);
    const tightest = limits[0];
    counter.textContent = tightest ? `${used} / ${tightest[1]} characters (${platformLabel(tightest[0])})` : `${used} characters`;
    counter.classList.toggle('over', !!tightest && used > tightest[1]);
  };
  text.addEventListener('input', updateCounter);
  for (const b of boxes) b.addEventListener('change', updateCounter);
  updateCounter();

  const submit = (draft) => (e) => {
    e.preventDefault();
    const button = draft ? e.currentTarget : e.submitter;
    const connectionIds = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    if (connectionIds.length === 0) {
      error.textContent = 'Choose at least one account.';
      return;
    }
    const body = { content: { text: text.value }, connectionIds };
    if (link.value.trim()) body.content.link = link.value.trim();
    if (draft) body.draft = true;
    else body.scheduledAt = at.value;
    void busy(button, async () => {
      const mediaIds = await uploadAll();
      if (mediaIds.length) body.content.mediaIds = mediaIds;
      const created = await post(`/api/workspaces/${workspace.id}/posts`, body);
      const shifted = created.timeAdjustment ? ' (moved by a daylight-saving change)' : '';
      toast(draft ? 'Draft saved.' : `Scheduled for ${created.scheduledLocal?.replace('T', ' ')} ${workspace.timeZone}${shifted}.`);
      navigate('/planner');
    }, error);
  };

  render(
    main,
    h('div', { class: 'screen-head' }, h('h1', null, 'Compose'), h('p', { class: 'sub' }, workspace.name)),
    h(
      'form',
      { class: 'panel composer', onsubmit: submit(false) },
      h('fieldset', null, h('legend', null, 'Post to'), h('div', { class: 'choices' }, boxes)),
      field('Text', text),
      counter,
      field('Link (optional)', link),
      field('Images or a video (optional)', files, 'Instagram, TikTok, YouTube and Pinterest need media.'),
      field(`When (${workspace.timeZone})`, at, 'Local time in the workspace’s time zone.'),
      error,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Schedule'),
        h('button', { type: 'button', class: 'secondary', onclick: submit(true) }, 'Save as draft'),
      ),
    ),
  );
  text.focus();
}

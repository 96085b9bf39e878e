/**
 * The composer: one post for one or many connections, as a draft or scheduled at a local time
 * in the workspace's time zone (POST /api/workspaces/:id/posts). With `?post=<id>` it edits a
 * post that has not gone out (PATCH .../posts/:id with the version it loaded; an occurrence of a
 * campaign edited here leaves the series).
 */
import { get, patch, post } from '../api.js';
import { contentFields } from '../contentFields.js';
import { busy, field, h, render, showIssues, toast } from '../dom.js';
import { navigate } from '../navigation.js';
import { postEditable } from '../platforms.js';
import { canEdit, currentWorkspace } from '../session.js';
import { localDateTime, nowMs } from '../time.js';

export async function renderCompose(main) {
  const workspace = currentWorkspace();
  const postId = new URL(location.href).searchParams.get('post');
  const [{ connections }, editing] = await Promise.all([
    get(`/api/workspaces/${workspace.id}/connections`),
    postId ? get(`/api/workspaces/${workspace.id}/posts/${encodeURIComponent(postId)}`) : null,
  ]);
  const usable = connections.filter((c) => c.state !== 'disconnected');
  const title = editing ? 'Edit post' : 'Compose';
  if (!canEdit(workspace)) {
    render(main, h('h1', null, title), h('p', { class: 'hint' }, 'You are a viewer in this workspace: composing needs the editor role.'));
    return;
  }
  if (usable.length === 0) {
    render(main, h('h1', null, title), h('p', { class: 'empty' }, 'Connect an account first. ', h('a', { href: '/connections' }, 'Go to connections')));
    return;
  }
  if (editing && !postEditable(editing)) {
    render(main, h('h1', null, title), h('p', { class: 'notice notice-error', role: 'alert' }, 'This post was cancelled or has started going out, so it can no longer be edited.'));
    return;
  }

  const fields = contentFields(workspace, usable, editing ? { content: editing.content, connectionIds: editing.targets.map((t) => t.connectionId) } : null);
  // The default: the next full hour, in the workspace's zone.
  const defaultAt = localDateTime(Math.ceil((nowMs() + 60_000) / 3_600_000) * 3_600_000, workspace.timeZone);
  const at = h('input', { type: 'datetime-local', name: 'scheduledAt', required: true, value: editing?.scheduledLocal?.slice(0, 16) ?? defaultAt });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const issues = h('ul', { class: 'issue-list' });

  const submit = (draft) => (e) => {
    e.preventDefault();
    const button = draft ? e.currentTarget : e.submitter;
    if (fields.chosenIds().length === 0) {
      error.textContent = 'Choose at least one account.';
      return;
    }
    issues.replaceChildren();
    void busy(button, async () => {
      const body = await fields.read();
      if (draft) body.draft = true;
      else body.scheduledAt = at.value;
      let saved;
      try {
        saved = editing
          ? await patch(`/api/workspaces/${workspace.id}/posts/${editing.id}`, { ...body, version: editing.version })
          : await post(`/api/workspaces/${workspace.id}/posts`, body);
      } catch (err) {
        showIssues(issues, err);
        throw err;
      }
      const shifted = saved.timeAdjustment ? ' (moved by a daylight-saving change)' : '';
      await navigate(editing?.campaignId ? `/campaigns/${editing.campaignId}` : '/planner');
      toast(draft ? 'Draft saved.' : `Scheduled for ${saved.scheduledLocal?.replace('T', ' ')} ${workspace.timeZone}${shifted}.`);
    }, error);
  };

  render(
    main,
    h('div', { class: 'screen-head' }, h('h1', null, title), h('p', { class: 'sub' }, workspace.name)),
    editing?.campaignId
      ? h('p', { class: 'notice notice-info' }, 'This post is an occurrence of a campaign. Saving it here changes this one only and takes it out of the series: later edits of the series leave it as it is.')
      : null,
    h(
      'form',
      { class: 'panel composer', onsubmit: submit(false) },
      fields.nodes,
      field(`When (${workspace.timeZone})`, at, 'Local time in the workspace’s time zone.'),
      error,
      issues,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, editing ? 'Save and schedule' : 'Schedule'),
        h('button', { type: 'button', class: 'secondary', onclick: submit(true) }, 'Save as draft'),
        editing ? h('a', { class: 'button secondary', href: '/planner' }, 'Back to the planner') : null,
      ),
    ),
  );
  fields.text.focus();
}

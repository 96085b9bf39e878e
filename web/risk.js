/**
 * Posts at risk (GET .../posts-at-risk): why a scheduled post will not go out if nothing is
 * done, and what to do, in the words the planner and the "At risk" screen use.
 */
import { get } from './api.js';
import { h } from './dom.js';
import { formatInstant } from './time.js';

const WHY = {
  needs_reconnect: () => 'Its account needs reconnecting: Perennial can no longer post for it.',
  refresh_failing: () => 'Perennial cannot refresh the account’s access (it keeps trying).',
  hard_end_before_post: (ends) => `The platform ends this account’s access${ends ? ` on ${ends}` : ''}, before this post, and allows no automatic extension.`,
  refresh_expires_before_post: (ends) => `The account’s refresh permission expires${ends ? ` on ${ends}` : ''}, before this post.`,
};

/** One sentence for the reason, then the fix. */
export function riskText(item, timeZone) {
  const ends = item.connectionEndsAt ? formatInstant(item.connectionEndsAt, timeZone) : null;
  const why = (WHY[item.reason] ?? (() => 'Its account may not be able to post at that time.'))(ends);
  return `${why} Reconnect the account before the post’s time and it goes out as planned.`;
}

/** Loads the risks of a workspace as a map target id → risk; a failed check shows no risk marks. */
export async function risksByTarget(workspaceId) {
  try {
    const { targets } = await get(`/api/workspaces/${workspaceId}/posts-at-risk`);
    return new Map(targets.map((t) => [t.targetId, t]));
  } catch {
    // The marks are a warning on top of the planner; the "At risk" screen reports the error itself.
    return new Map();
  }
}

const badge = h('span', { class: 'badge badge-warn', id: 'risk-count', hidden: true });

/** The count of posts at risk in all the user's workspaces, beside "At risk" in the header. */
export function riskBadge() {
  return badge;
}

export async function refreshRiskCount() {
  try {
    const { targets } = await get('/api/posts-at-risk');
    const posts = new Set(targets.map((t) => t.postId)).size;
    badge.textContent = String(posts);
    badge.hidden = posts === 0;
    badge.setAttribute('aria-label', `${posts} post(s) at risk`);
  } catch {
    // A hint only: the "At risk" screen reports the error itself.
    badge.hidden = true;
  }
}

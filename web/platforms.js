/** Labels for platforms and connection health, as the screens show them. */

const PLATFORM_NAMES = {
  facebook: 'Facebook',
  instagram: 'Instagram',
  instagram_fb: 'Instagram (via Facebook)',
  linkedin: 'LinkedIn',
  x: 'X',
  tiktok: 'TikTok',
  youtube: 'YouTube',
  pinterest: 'Pinterest',
  threads: 'Threads',
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
};

export function platformLabel(id) {
  return PLATFORM_NAMES[id] ?? id;
}

/** The health statuses of GET .../connections-health, with the words users read. */
export const HEALTH_LABELS = {
  healthy: 'Healthy',
  expiring_soon: 'Expiring soon',
  refresh_failing: 'Refresh failing',
  needs_reconnect: 'Needs reconnect',
  revoked: 'Revoked',
  disconnected: 'Disconnected',
};

export function healthBadge(h, status) {
  return h('span', { class: `status status-${status}` }, HEALTH_LABELS[status] ?? status);
}

/** Post target statuses, in the planner's filter order. */
export const TARGET_STATUSES = ['draft', 'scheduled', 'paused', 'publishing', 'published', 'failed', 'unknown', 'cancelled'];

/**
 * Whether a post may still be edited (src/posts/postEditability.ts): nothing of it has gone out
 * or may have (publishing, published, unknown), and it was not cancelled.
 */
export function postEditable(post) {
  return post.status !== 'cancelled' && !post.targets.some((t) => ['publishing', 'published', 'unknown'].includes(t.status));
}

export function statusBadge(h, status) {
  return h('span', { class: `status status-${status}` }, status.charAt(0).toUpperCase() + status.slice(1));
}

/** Text limits per platform (characters), to warn while typing; the API has the final word. */
export const TEXT_LIMITS = { x: 280, bluesky: 300, threads: 500, mastodon: 500, pinterest: 500, instagram: 2200, instagram_fb: 2200, tiktok: 2200, linkedin: 3000, youtube: 5000, facebook: 63206 };

/** Characters as people count them (grapheme clusters: an emoji is one). */
export function countCharacters(text) {
  if (typeof Intl.Segmenter !== 'function') return [...text].length;
  let n = 0;
  for (const _ of new Intl.Segmenter().segment(text)) n++;
  return n;
}

/** Why the next planned refresh-engine step happens (connection_refreshes.purpose). */
const REFRESH_PURPOSES = {
  refresh: 'token refresh',
  keepalive: 'keep-alive refresh',
  prepost: 'refresh before a post',
  retry: 'retry after a failure',
  verify: 'check at the platform',
  warn: 'expiry warning',
  hard_end: 'end of the grant',
  plan: 'being planned',
};

export function refreshPurposeLabel(purpose) {
  return purpose ? (REFRESH_PURPOSES[purpose] ?? null) : null;
}

/**
 * Instagram through Facebook Login as data (../shared/platforms.md §2b): a professional account
 * linked to a Facebook Page, reached with that Page's (non-expiring) token on graph.facebook.com.
 * Lifetimes, errors and detection are Facebook's.
 */
import { facebookFacts } from '../facebook/facebookFacts.ts';
import { instagramFacts } from '../instagram/instagramFacts.ts';
import type { PlatformFacts } from '../types.ts';

export const instagramFbFacts: PlatformFacts = {
  ...facebookFacts,
  id: 'instagram_fb',
  displayName: 'Instagram (via Facebook)',
  defaultScopes: ['instagram_basic', 'instagram_content_publish', 'pages_show_list', 'pages_read_engagement'],
  limits: instagramFacts.limits,
};

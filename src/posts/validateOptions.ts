import type { PlatformId } from '../providers/types.ts';
import type { LinkedInOptions, PinterestOptions, TikTokOptions, YouTubeOptions } from './platformOptions.ts';

/**
 * Compose-time checks of a target's platform options beyond their shape (the zod schemas in
 * platformOptions.ts): combinations the platform refuses, and choices the account does not
 * offer when the connection recorded what it offers (`meta`). What the connection did not
 * record is left to the platform at publish time (an unknown board fails the target with
 * Pinterest's reason).
 */
export type OptionIssueCode = 'option_not_allowed' | 'option_conflict' | 'board_required' | 'board_not_found' | 'tags_too_long';

export type OptionIssue = { code: OptionIssueCode; message: string };

/** What a connection may have recorded about the account (connections.meta). */
export type AccountHints = {
  /** Connection kind: 'user' (a member) or a page / organization. */
  kind: string;
  /** TikTok: the privacy levels `creator_info` offered this creator. */
  privacyLevelOptions?: string[];
  /** Pinterest: the account's boards and the default one (chosen at connect). */
  boards?: { id: string }[];
  defaultBoardId?: string;
};

/** YouTube's limit on all tags together; a tag with a space counts its quotes too. */
const YOUTUBE_TAGS_MAX = 500;

export function validateOptions(platform: PlatformId, options: Record<string, unknown>, account: AccountHints): OptionIssue[] {
  switch (platform) {
    case 'tiktok':
      return tiktok(options as TikTokOptions, account);
    case 'youtube':
      return youtube(options as YouTubeOptions);
    case 'pinterest':
      return pinterest(options as PinterestOptions, account);
    case 'linkedin':
      return linkedin(options as LinkedInOptions, account);
    default:
      return [];
  }
}

function tiktok(o: TikTokOptions, account: AccountHints): OptionIssue[] {
  const issues: OptionIssue[] = [];
  const offered = account.privacyLevelOptions;
  if (o.privacyLevel && offered && !offered.includes(o.privacyLevel)) {
    issues.push({ code: 'option_not_allowed', message: `TikTok does not let this account post as ${o.privacyLevel} (it offers ${offered.join(', ') || 'none'})` });
  }
  if (o.brandContentToggle && o.privacyLevel === 'SELF_ONLY') {
    issues.push({ code: 'option_conflict', message: 'branded content (brandContentToggle) cannot be private on TikTok: choose another privacy level' });
  }
  return issues;
}

function youtube(o: YouTubeOptions): OptionIssue[] {
  if (!o.tags) return [];
  const length = o.tags.reduce((n, tag, i) => n + tag.length + (tag.includes(' ') ? 2 : 0) + (i > 0 ? 1 : 0), 0);
  return length > YOUTUBE_TAGS_MAX ? [{ code: 'tags_too_long', message: `the tags take ${length} characters together, at most ${YOUTUBE_TAGS_MAX} are allowed` }] : [];
}

function pinterest(o: PinterestOptions, account: AccountHints): OptionIssue[] {
  if (!account.boards) return [];
  if (o.boardId) {
    return account.boards.some((b) => b.id === o.boardId) ? [] : [{ code: 'board_not_found', message: `the account has no board ${o.boardId}` }];
  }
  return account.defaultBoardId ? [] : [{ code: 'board_required', message: 'choose a board (options.boardId): the account has no default board' }];
}

function linkedin(o: LinkedInOptions, account: AccountHints): OptionIssue[] {
  if (o.visibility === 'CONNECTIONS' && account.kind === 'organization') {
    return [{ code: 'option_not_allowed', message: 'an organization page cannot post to connections only (visibility PUBLIC or LOGGED_IN)' }];
  }
  return [];
}

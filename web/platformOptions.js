/**
 * Per-platform options of a post, shown in the composer's "Per platform" section beside the
 * platform's own text. Each entry describes one field: where it lives in the platform's override
 * (`content.overrides[platform]`, src/posts/postContent.ts), its label and its control.
 *
 * The hook for more options (visibility, privacy, ...): add an entry here
 * with the override key the API accepts (a path such as "options.privacy" for a nested field);
 * the composer and the campaign form draw, prefill and read it without further changes, and keep
 * override fields they do not draw as they were. Only keys the API's override schema knows may
 * be listed (it refuses unknown fields).
 */

/**
 * `board`: a list of the boards the workspace's accounts on the platform recorded at connect
 * (`meta.boards`, Pinterest), or a text field for an id when none did.
 *
 * @typedef {{
 *   key: string,
 *   label: string,
 *   control: 'text' | 'select' | 'yesno' | 'board',
 *   choices?: [string, string][],
 *   maxLength?: number,
 *   hint?: string,
 * }} OptionField
 */

/** @type {Record<string, OptionField[]>} */
export const PLATFORM_OPTIONS = {
  x: [{ key: 'options.replySettings', label: 'Who can reply on X', control: 'select', choices: [['following', 'People you follow'], ['mentionedUsers', 'Only people you mention'], ['subscribers', 'Your subscribers'], ['verified', 'Verified accounts']] }],
  linkedin: [{ key: 'options.visibility', label: 'LinkedIn visibility', control: 'select', choices: [['PUBLIC', 'Anyone'], ['CONNECTIONS', 'Connections only (members, not pages)'], ['LOGGED_IN', 'Signed-in LinkedIn members']] }],
  tiktok: [
    { key: 'options.privacyLevel', label: 'Who can watch on TikTok', control: 'select', choices: [['PUBLIC_TO_EVERYONE', 'Everyone'], ['MUTUAL_FOLLOW_FRIENDS', 'Friends'], ['FOLLOWER_OF_CREATOR', 'Followers'], ['SELF_ONLY', 'Only me']], hint: 'Default: the most public level the account offers.' },
    { key: 'options.disableComment', label: 'Turn off TikTok comments', control: 'yesno' },
  ],
  youtube: [
    { key: 'title', label: 'YouTube title', control: 'text', maxLength: 100, hint: 'Required: YouTube shows it above the video.' },
    { key: 'options.privacyStatus', label: 'YouTube visibility', control: 'select', choices: [['public', 'Public'], ['unlisted', 'Unlisted'], ['private', 'Private']] },
    { key: 'options.selfDeclaredMadeForKids', label: 'Made for kids', control: 'yesno' },
  ],
  pinterest: [
    { key: 'title', label: 'Pin title', control: 'text', maxLength: 100 },
    { key: 'options.boardId', label: 'Pinterest board', control: 'board', maxLength: 40, hint: "Default: the account's first board." },
  ],
  mastodon: [
    { key: 'options.visibility', label: 'Mastodon visibility', control: 'select', choices: [['public', 'Public'], ['unlisted', 'Quiet public'], ['private', 'Followers only'], ['direct', 'Mentioned people only']] },
    { key: 'options.spoilerText', label: 'Content warning', control: 'text', maxLength: 5000 },
  ],
};

export function optionFieldsOf(platform) {
  return PLATFORM_OPTIONS[platform] ?? [];
}

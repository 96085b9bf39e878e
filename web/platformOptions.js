/**
 * Per-platform options of a post, shown in the composer's "Per platform" section beside the
 * platform's own text. Each entry describes one field: where it lives in the platform's override
 * (`content.overrides[platform]`, src/posts/postContent.ts), its label and its control.
 *
 * The hook for more options (visibility, privacy, a Pinterest board, ...): add an entry here
 * with the override key the API accepts (a path such as "options.privacy" for a nested field);
 * the composer and the campaign form draw, prefill and read it without further changes, and keep
 * override fields they do not draw as they were. Only keys the API's override schema knows may
 * be listed (it refuses unknown fields).
 */

/**
 * @typedef {{
 *   key: string,
 *   label: string,
 *   control: 'text' | 'select',
 *   choices?: [string, string][],
 *   maxLength?: number,
 *   hint?: string,
 * }} OptionField
 */

/** @type {Record<string, OptionField[]>} */
export const PLATFORM_OPTIONS = {
  youtube: [{ key: 'title', label: 'YouTube title', control: 'text', maxLength: 100, hint: 'Required: YouTube shows it above the video.' }],
  pinterest: [{ key: 'title', label: 'Pin title', control: 'text', maxLength: 100 }],
};

export function optionFieldsOf(platform) {
  return PLATFORM_OPTIONS[platform] ?? [];
}

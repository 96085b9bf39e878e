import { z } from 'zod';
import { PLATFORM_IDS, type PlatformId } from '../providers/types.ts';
import { PLATFORM_OPTION_SCHEMAS } from './platformOptions.ts';

/**
 * A post's content as the API takes it and `posts.content` stores it. Per-platform overrides
 * replace the base fields for that platform only (a shorter text for X, a YouTube title) and
 * carry that platform's `options` (platformOptions.ts: TikTok privacy level, Pinterest board,
 * ...). `mediaUrls` are remote files given by URL (CSV import): only the URL is stored here; the
 * publisher fetches it through the SSRF-guarded HttpClient when the post goes out.
 */
const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).max(2048);

const overrideFields = {
  text: z.string().max(70_000).optional(),
  link: httpUrl.optional(),
  mediaIds: z.array(z.uuid()).max(35).optional(),
  title: z.string().max(1000).optional(),
};

function overrideSchema<P extends PlatformId>(platform: P) {
  return z.strictObject({ ...overrideFields, options: PLATFORM_OPTION_SCHEMAS[platform].optional() });
}

/** One strict override schema per platform, each with that platform's options. */
const overridesShape = Object.fromEntries(PLATFORM_IDS.map((p) => [p, overrideSchema(p).optional()])) as {
  [P in PlatformId]: z.ZodOptional<ReturnType<typeof overrideSchema<P>>>;
};

export const platformOverridesSchema = z.strictObject(overridesShape);

export const postContentSchema = z.strictObject({
  text: z.string().max(70_000),
  link: httpUrl.optional(),
  mediaIds: z.array(z.uuid()).max(35).default([]),
  mediaUrls: z.array(httpUrl).max(35).optional(),
  overrides: platformOverridesSchema.optional(),
});

export type PostContent = z.output<typeof postContentSchema>;
export type PlatformOverride = NonNullable<NonNullable<PostContent['overrides']>[PlatformId]>;

/** What one platform receives: the base content with that platform's override applied. */
export type EffectiveContent = {
  text: string;
  link?: string;
  mediaIds: string[];
  mediaUrls: string[];
  title?: string;
  /** The platform's options (platformOptions.ts), `{}` when none were set. */
  options: Record<string, unknown>;
};

export function effectiveContent(content: PostContent, platform: PlatformId): EffectiveContent {
  const o: PlatformOverride = content.overrides?.[platform] ?? {};
  const link = o.link ?? content.link;
  return {
    text: o.text ?? content.text,
    ...(link === undefined ? {} : { link }),
    mediaIds: o.mediaIds ?? content.mediaIds,
    // An override's own media list replaces the remote files too.
    mediaUrls: o.mediaIds ? [] : (content.mediaUrls ?? []),
    ...(o.title === undefined ? {} : { title: o.title }),
    options: { ...(o.options ?? {}) },
  };
}

/** Every upload id the content refers to, base and overrides. */
export function referencedMediaIds(content: PostContent): string[] {
  const ids = new Set(content.mediaIds);
  for (const o of Object.values(content.overrides ?? {})) for (const id of o?.mediaIds ?? []) ids.add(id);
  return [...ids];
}

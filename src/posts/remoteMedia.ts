/**
 * What a media URL (CSV import, `content.mediaUrls`) is, read from its path's extension at
 * compose time. Its bytes are fetched only when the post goes out (through the SSRF-guarded
 * client, which checks the real type and size then); at compose time the extension is all there
 * is, so a URL without a known one is refused rather than guessed. The publisher hands the URL
 * over with the type read here (src/publishing/buildPublishRequest.ts).
 */
export type RemoteMediaType = { kind: 'image' | 'video'; mimeType: string };

const BY_EXTENSION: Readonly<Record<string, RemoteMediaType>> = {
  jpg: { kind: 'image', mimeType: 'image/jpeg' },
  jpeg: { kind: 'image', mimeType: 'image/jpeg' },
  png: { kind: 'image', mimeType: 'image/png' },
  gif: { kind: 'image', mimeType: 'image/gif' },
  webp: { kind: 'image', mimeType: 'image/webp' },
  mp4: { kind: 'video', mimeType: 'video/mp4' },
  mov: { kind: 'video', mimeType: 'video/quicktime' },
};

export const REMOTE_MEDIA_EXTENSIONS: readonly string[] = Object.keys(BY_EXTENSION);

/** The type the URL's extension names, or null when it names none we know. */
export function remoteMediaType(url: string): RemoteMediaType | null {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return null;
  }
  const name = pathname.split('/').pop() ?? '';
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return null;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null;
}

import fs from 'node:fs';
import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { createHttpClient } from './httpClient.ts';
import { PLATFORM_IDS, type PlatformId, type Provider, type ProviderContext } from './types.ts';

/**
 * Where adapters are found and how each call's ProviderContext is built.
 *
 * Convention (so platform folders can be added without editing this file): the adapter of
 * platform `<id>` is `export const provider: Provider` in `src/providers/<id>/provider.ts`
 * (shared code may live elsewhere, e.g. `src/providers/meta/`). Every file present is loaded at
 * start-up; an error inside one fails the start, a missing one only means the platform is not
 * offered.
 */
const providers = new Map<PlatformId, Provider>();
for (const id of PLATFORM_IDS) {
  const file = new URL(`./${id}/provider.ts`, import.meta.url);
  if (!fs.existsSync(file)) continue;
  const mod = (await import(file.href)) as { provider?: Provider };
  if (!mod.provider || mod.provider.facts.id !== id) throw new Error(`${file.pathname} must export \`provider\` with facts.id "${id}"`);
  providers.set(id, mod.provider);
}

export function isPlatformId(value: string): value is PlatformId {
  return (PLATFORM_IDS as readonly string[]).includes(value);
}

/** The adapter of `platform`; AppError('unknown_platform') for anything else. */
export function getProvider(platform: string): Provider {
  const provider = isPlatformId(platform) ? providers.get(platform) : undefined;
  if (!provider) throw new AppError('unknown_platform', `Unknown platform "${platform.slice(0, 40)}"`);
  return provider;
}

export function listProviders(): Provider[] {
  return PLATFORM_IDS.flatMap((id) => providers.get(id) ?? []);
}

/** The emulator's base URL: an external one (EMULATOR_URL) or the in-process one on the app. */
export function emulatorBaseUrl(config: Config): string {
  return config.emulatorUrl ?? `${config.publicUrl}/_emulator`;
}

/** The app the emulator knows for each sandboxed platform (a confidential client). */
export function sandboxClient(platform: PlatformId): { clientId: string; clientSecret: string } {
  return { clientId: `sandbox-${platform}`, clientSecret: `sandbox-secret-${platform}` };
}

/**
 * Whether `platform` runs against the emulator. Platforms with an instance-wide app are real as
 * soon as their client id and secret are configured. Mastodon and Bluesky need no instance-wide
 * app; they follow OPEN_NETWORKS_SANDBOX (default: sandbox while no real app is configured).
 */
export function isSandboxed(config: Config, platform: PlatformId): boolean {
  const provider = providers.get(platform);
  const key = provider?.facts.credentialKey;
  if (key) return !config.platformCredentials[key];
  return config.openNetworksSandbox;
}

export function redirectUriFor(config: Config, platform: PlatformId): string {
  return `${config.publicUrl}/api/oauth/callback/${platform}`;
}

/**
 * Normalises a user-given server URL (Mastodon instance, Bluesky PDS): https only (http is
 * allowed for the sandbox), no path, no credentials. AppError('invalid_url') otherwise.
 */
export function parseInstanceUrl(value: string, options: { sandbox: boolean }): URL {
  const trimmed = value.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`);
  } catch {
    throw new AppError('invalid_url', 'The server address is not a valid URL (expected e.g. https://mastodon.social)');
  }
  const protocolOk = url.protocol === 'https:' || (options.sandbox && url.protocol === 'http:');
  if (!protocolOk || url.username || url.password || !url.hostname.includes('.') || (url.pathname !== '/' && url.pathname !== '')) {
    throw new AppError('invalid_url', 'The server address must be an https:// address of a server, without a path (e.g. https://mastodon.social)');
  }
  return new URL(url.origin);
}

export type ProviderContextOptions = {
  /** The user's server for per-instance platforms (already validated by parseInstanceUrl). */
  instanceUrl?: URL;
  /** An app registered on that server (Mastodon), replacing the instance-wide one. */
  client?: { clientId: string; clientSecret: string } | null;
  timeoutMs?: number;
};

/**
 * Resolves where an adapter talks to (the real hosts, or `<emulator>/<platform>/<alias>`), with
 * which app, through an HttpClient that refuses private addresses (except the emulator's, when sandboxed).
 */
export function providerContext(ctx: Pick<AppContext, 'config' | 'clock'>, platform: PlatformId, options: ProviderContextOptions = {}): ProviderContext {
  const provider = getProvider(platform);
  const sandbox = isSandboxed(ctx.config, platform);
  const emulator = emulatorBaseUrl(ctx.config);
  const hosts: Record<string, string> = {};
  for (const [alias, real] of Object.entries(provider.facts.hosts)) {
    hosts[alias] = sandbox ? `${emulator}/${platform}/${alias}` : real;
  }
  if (options.instanceUrl) {
    hosts.instance = sandbox ? `${emulator}/${platform}/${options.instanceUrl.hostname}` : options.instanceUrl.origin;
  }
  const key = provider.facts.credentialKey;
  let client: ProviderContext['client'] = null;
  if (options.client !== undefined) client = options.client;
  else if (sandbox && key) client = sandboxClient(platform);
  else if (key) client = ctx.config.platformCredentials[key] ?? null;
  return {
    clock: ctx.clock,
    // The emulator (often on our own origin) is trusted only for a sandboxed platform: a real one
    // goes through the address guard with nothing exempt.
    http: createHttpClient({ trustedOrigins: sandbox ? [new URL(emulator).origin] : [], timeoutMs: options.timeoutMs }),
    client,
    hosts,
    redirectUri: redirectUriFor(ctx.config, platform),
    sandbox,
    appTestingMode: key === 'GOOGLE' && ctx.config.googleOAuthTestingMode,
    instanceBase: (instanceUrl) => {
      const url = new URL(instanceUrl);
      return sandbox ? `${emulator}/${platform}/${url.hostname}` : url.origin;
    },
  };
}

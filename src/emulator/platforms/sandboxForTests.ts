import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControllableClock } from '../../clock.ts';
import { createHttpClient } from '../../providers/httpClient.ts';
import { sandboxClient } from '../../providers/registry.ts';
import type { PlatformId, Provider, ProviderContext, PublishProgress } from '../../providers/types.ts';
import { sampleFor } from './sampleMedia.ts';
import { startEmulator, type RunningEmulator } from '../core/registerEmulator.ts';
import type { LoggedRequest } from '../core/requestLog.ts';

/**
 * Test wiring for adapter-against-emulator tests: an emulator on a frozen clock, the adapter's
 * ProviderContext pointing at it (exactly as the registry does for a sandboxed platform), and a
 * tiny media server for publish tests (trusted like the emulator, as uploads live on our host).
 */
export type SandboxForTests = {
  clock: ControllableClock;
  emulator: RunningEmulator;
  ctx: ProviderContext;
  mediaUrl(name: string): string;
  /** Requests the emulator received for `platform`, optionally filtered by path suffix. */
  requests(path?: string): LoggedRequest[];
  clearRequests(): void;
  close(): Promise<void>;
};

export const TEST_REDIRECT_URI = 'http://localhost:3000/api/oauth/callback';

export async function openSandboxForTests(provider: Provider, options: { startMs?: number } = {}): Promise<SandboxForTests> {
  const platform: PlatformId = provider.facts.id;
  const clock = new ControllableClock({ startMs: options.startMs ?? Date.UTC(2026, 0, 5, 9, 0, 0) });
  const emulator = await startEmulator({ clock });
  // Real (tiny) files by extension, as the emulated platforms sniff what they fetch; `missing.*` is a 404.
  const media = http.createServer((req, res) => {
    const sample = sampleFor(req.url ?? '');
    if (!sample || (req.url ?? '').includes('missing')) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': sample.type });
    res.end(sample.bytes);
  });
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
  const mediaOrigin = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  const hosts = Object.fromEntries(Object.keys(provider.facts.hosts).map((alias) => [alias, `${emulator.url}/${platform}/${alias}`]));
  const ctx: ProviderContext = {
    clock,
    http: createHttpClient({ trustedOrigins: [new URL(emulator.url).origin, mediaOrigin] }),
    client: sandboxClient(platform),
    hosts,
    redirectUri: `${TEST_REDIRECT_URI}/${platform}`,
    sandbox: true,
  };
  return {
    clock,
    emulator,
    ctx,
    mediaUrl: (name) => `${mediaOrigin}/${name}`,
    requests: (path) => emulator.core.requests.list({ platform, ...(path ? { path } : {}) }),
    clearRequests: () => emulator.core.requests.clear(),
    close: async () => {
      await emulator.close();
      await new Promise<void>((resolve) => media.close(() => resolve()));
    },
  };
}

/** A PublishProgress that keeps its state in memory (what post_targets.publish_state holds). */
export function memoryProgress(initial: Record<string, unknown> = {}): PublishProgress & { saves: Record<string, unknown>[] } {
  const progress = {
    state: { ...initial },
    saves: [] as Record<string, unknown>[],
    async save(state: Record<string, unknown>) {
      progress.state = { ...state };
      progress.saves.push({ ...state });
    },
  };
  return progress;
}

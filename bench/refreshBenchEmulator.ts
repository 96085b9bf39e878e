/**
 * The platform emulator in its own process for `npm run bench:refresh` (so the workers' memory
 * is theirs alone), answering every platform request after `--latency` ms, on the real clock.
 * One extra route for the benchmark only: `POST /_bench/grants {platform, from, count}` mints
 * `count` grants (accounts bench-<platform>-<i>) and returns their tokens, which the benchmark
 * stores through the vault as if each had been connected. Prints `{"url": ...}` when listening.
 *   node bench/refreshBenchEmulator.ts [--latency 20]
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { SystemClock } from '../src/clock.ts';
import { emulatedPlatforms, registerEmulator } from '../src/emulator/core/registerEmulator.ts';
import { sandboxClient } from '../src/providers/registry.ts';
import type { PlatformId } from '../src/providers/types.ts';
import { benchAccountId, BENCH_PLATFORMS, type MintedGrant } from './refreshBenchSeed.ts';

const { values } = parseArgs({ options: { latency: { type: 'string', default: '20' } } });
const LATENCY_MS = Number(values.latency);
const DAY = 86_400_000;

const clock = new SystemClock();
const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
const core = await registerEmulator(app, { clock, prefix: '' });

app.post('/_bench/grants', async (request) => {
  const { platform, from, count } = request.body as { platform: PlatformId; from: number; count: number };
  const spec = BENCH_PLATFORMS.find((p) => p.id === platform)!;
  const clientId = platform === 'mastodon' ? 'bench-mastodon' : sandboxClient(platform).clientId;
  const grants: MintedGrant[] = [];
  for (let i = from; i < from + count; i++) {
    const accountId = benchAccountId(platform, i);
    const issued = core.grants.createGrant({ platform, clientId, accountId, scopes: spec.grantScopes });
    // Instagram and Threads refuse a refresh of a token younger than 24 h: these were connected two days ago.
    if (spec.minAgeDays) issued.access.issuedAtMs -= spec.minAgeDays * DAY;
    grants.push({
      accountId,
      accessToken: issued.access.token,
      accessExpiresAtMs: issued.access.expiresAtMs,
      refreshToken: issued.refresh?.token ?? null,
      refreshExpiresAtMs: issued.refresh?.expiresAtMs ?? null,
    });
  }
  return { grants };
});

app.get('/_bench/memory', async () => ({ rssBytes: process.memoryUsage().rss, grants: core.grants.listGrants().length }));

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
for (const platform of emulatedPlatforms()) core.faults.add({ platform, kind: 'slow', delayMs: LATENCY_MS, times: Number.MAX_SAFE_INTEGER });
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}` })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));

import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ProviderError, type HttpClient } from './types.ts';

/**
 * The only way adapters reach the network. Every call gets a timeout and a response size limit;
 * failures become ProviderError('transient', ...). URLs are checked against an SSRF guard: only
 * public addresses are reachable, except the origins listed as trusted (the emulator, which may
 * live on localhost). User-given URLs (a Mastodon instance, a Bluesky PDS) therefore cannot
 * point Perennial at its own network.
 *
 * Limits of the guard: it resolves the host name before the request, so a DNS answer that
 * changes between the check and the connection (rebinding) is not caught; redirects are not
 * followed (`redirect: 'manual'`), so a public host cannot bounce us to a private one.
 */
export type HttpClientOptions = {
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Origins exempt from the address guard (`http://127.0.0.1:4000`). */
  trustedOrigins?: readonly string[];
  /** Resolves host names (tests replace it); defaults to the system resolver. */
  resolve?: (hostname: string) => Promise<string[]>;
};

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True for addresses Perennial must never be sent to on a user's behalf. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true;
}

async function systemResolve(hostname: string): Promise<string[]> {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => a.address);
}

/** Throws ProviderError('bad_request', 'unsafe_url') unless `url` may be fetched. */
export async function assertPublicUrl(url: URL, options: Pick<HttpClientOptions, 'trustedOrigins' | 'resolve'> = {}): Promise<void> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ProviderError('bad_request', 'unsafe_url', `Only http and https URLs can be reached (got ${url.protocol})`);
  }
  if (options.trustedOrigins?.includes(url.origin)) return;
  if (url.username || url.password) throw new ProviderError('bad_request', 'unsafe_url', 'URLs with credentials are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolve)(host);
    } catch (err) {
      throw new ProviderError('transient', 'dns_failed', `Could not resolve ${host}`, { cause: err });
    }
  }
  if (addresses.length === 0 || addresses.some(isPrivateAddress)) {
    throw new ProviderError('bad_request', 'unsafe_url', `${host} is not a public address`);
  }
}

async function readLimited(response: Response, maxBytes: number, url: URL): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new ProviderError('transient', 'response_too_large', `The response from ${url.host} is larger than ${maxBytes} bytes`);
  }
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      throw new ProviderError('transient', 'response_too_large', `The response from ${url.host} is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return async (input, init = {}) => {
    const url = new URL(input);
    await assertPublicUrl(url, options);
    const { timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal, ...rest } = init;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await fetch(url, { redirect: 'manual', ...rest, signal: combined });
      const body = await readLimited(response, maxBytes, url);
      const empty = response.status === 204 || response.status === 304 || (response.status >= 100 && response.status < 200);
      return new Response(empty ? null : (body as ConstructorParameters<typeof Response>[0]), { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (timeout.aborted) {
        throw new ProviderError('transient', 'timeout', `${url.host} did not answer within ${timeoutMs} ms`, { cause: err });
      }
      throw new ProviderError('transient', 'network_error', `Could not reach ${url.host}`, { cause: err });
    }
  };
}

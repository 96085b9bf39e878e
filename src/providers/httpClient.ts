import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { ProviderError, type HttpClient } from './types.ts';

/**
 * The only way adapters reach the network. Every call gets a timeout and a response size limit;
 * failures become ProviderError('transient', ...). URLs are checked against an SSRF guard: only
 * public addresses are reachable, except the origins listed as trusted (the emulator, which may
 * live on localhost, and only while the platform is sandboxed). User-given URLs (a Mastodon
 * instance, a Bluesky PDS, a media URL from a CSV) therefore cannot point Perennial at its own
 * network.
 *
 * How: the URL is checked before the request (scheme, credentials, literal addresses), and the
 * connection itself resolves host names through a guarded `lookup` that re-checks every address
 * it returns, so the socket only ever connects to an address that passed the check (a DNS answer
 * that changes between a check and the connection cannot slip through: there is no separate
 * check). Redirects are not followed (`redirect: 'manual'`); callers that follow them (media
 * downloads) call again per hop, so each hop is checked the same way.
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

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * True for addresses Perennial must never be sent to on a user's behalf. Allow-list: only
 * ipaddr.js's `unicast` range passes (private, loopback, link-local, CGNAT, documentation,
 * benchmarking, multicast, reserved... all fail), and IPv6 must also be global unicast
 * (2000::/3), which refuses IPv4-compatible `::a.b.c.d`, `::ffff:` mapped, 6to4 (2002::/16),
 * Teredo, NAT64 (64:ff9b::/96), site-local (fec0::/10) and anything not yet allocated.
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!isIP(bare)) return true;
  const parsed = ipaddr.parse(bare);
  if (parsed.range() !== 'unicast') return true;
  return parsed.kind() === 'ipv6' && !parsed.match(GLOBAL_UNICAST_V6);
}

function systemResolve(hostname: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, answers) => (err ? reject(err) : resolve(answers.map((a) => a.address))));
  });
}

/** Raised inside the connection's lookup; turned into ProviderError('bad_request', 'unsafe_url'). */
class UnsafeAddressError extends Error {
  override name = 'UnsafeAddressError';
  readonly code = 'EUNSAFEADDRESS';
}

/**
 * A `net.connect` lookup that resolves the name and refuses it when any answer is not public:
 * the connection is then made only to the addresses returned here, all of them checked.
 */
export function guardedLookup(resolve: (hostname: string) => Promise<string[]> = systemResolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const family = typeof options.family === 'number' ? options.family : 0;
        const usable = addresses.filter((a) => family === 0 || isIP(a) === family);
        if (usable.length === 0) {
          const err = Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
          return callback(err, '', 4);
        }
        if (addresses.some(isPrivateAddress)) return callback(new UnsafeAddressError(`${hostname} is not a public address`), '', 4);
        if (options.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, usable.map((a) => ({ address: a, family: isIP(a) })));
        callback(null, usable[0]!, isIP(usable[0]!));
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, '', 4),
    );
  };
}

const sharedGuardedAgent = new Agent({ connect: { lookup: guardedLookup() } });
const trustedAgent = new Agent();

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

function tooLarge(url: URL, maxBytes: number, streamed: boolean): ProviderError {
  // A file (streamed body) over its limit will not shrink on retry; an API answer might.
  return streamed
    ? new ProviderError('bad_request', 'media_too_large', `The file at ${url.host} is larger than ${maxBytes} bytes`)
    : new ProviderError('transient', 'response_too_large', `The response from ${url.host} is larger than ${maxBytes} bytes`);
}

async function readLimited(response: Response, maxBytes: number, url: URL): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(url, maxBytes, false);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The body as a stream that errors (media_too_large) once it passes `maxBytes`. */
function limitedStream(body: ReadableStream<Uint8Array>, maxBytes: number, url: URL): ReadableStream<Uint8Array> {
  let total = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > maxBytes) controller.error(tooLarge(url, maxBytes, true));
        else controller.enqueue(chunk);
      },
    }),
  );
}

function unsafeCause(err: unknown): UnsafeAddressError | null {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof UnsafeAddressError) return e;
  }
  return null;
}

/**
 * `init.stream`: the body is handed back unbuffered (media downloads), still bounded by
 * `init.maxResponseBytes` and by the timeout, which then covers reading the body too.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const defaultMax = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const guarded = options.resolve ? new Agent({ connect: { lookup: guardedLookup(options.resolve) } }) : sharedGuardedAgent;
  return async (input, init = {}) => {
    const url = new URL(input);
    await assertPublicUrl(url, options);
    const { timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxResponseBytes = defaultMax, stream = false, signal, ...rest } = init;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const dispatcher = options.trustedOrigins?.includes(url.origin) ? trustedAgent : guarded;
    const fail = (err: unknown): never => {
      if (err instanceof ProviderError) throw err;
      const unsafe = unsafeCause(err);
      if (unsafe) throw new ProviderError('bad_request', 'unsafe_url', unsafe.message, { cause: err });
      if (timeout.aborted) throw new ProviderError('transient', 'timeout', `${url.host} did not answer within ${timeoutMs} ms`, { cause: err });
      throw new ProviderError('transient', 'network_error', `Could not reach ${url.host}`, { cause: err });
    };
    try {
      const response = (await undiciFetch(url, {
        redirect: 'manual',
        ...((await withPortableBody(rest)) as Parameters<typeof undiciFetch>[1]),
        signal: combined,
        dispatcher,
      })) as unknown as Response;
      const declared = Number(response.headers.get('content-length') ?? '0');
      if (declared > maxResponseBytes) {
        await response.body?.cancel();
        throw tooLarge(url, maxResponseBytes, stream);
      }
      const empty = response.status === 204 || response.status === 304 || (response.status >= 100 && response.status < 200);
      const init = { status: response.status, statusText: response.statusText, headers: response.headers };
      if (stream) {
        if (empty || !response.body) return new Response(null, init);
        return new Response(mapStreamErrors(limitedStream(response.body, maxResponseBytes, url), fail), init);
      }
      const body = await readLimited(response, maxResponseBytes, url);
      return new Response(empty ? null : (body as ConstructorParameters<typeof Response>[0]), init);
    } catch (err) {
      return fail(err);
    }
  };
}

/**
 * Node's global FormData is not the undici package's, which would send it as "[object FormData]":
 * it is encoded here (multipart body and its boundary) with the platform's own Response.
 */
async function withPortableBody(init: RequestInit): Promise<RequestInit> {
  if (!(init.body instanceof FormData)) return init;
  const encoded = new Response(init.body);
  const headers = new Headers(init.headers);
  headers.set('content-type', encoded.headers.get('content-type')!);
  return { ...init, headers, body: new Uint8Array(await encoded.arrayBuffer()) };
}

/** Errors while reading a streamed body become ProviderErrors, like errors before it. */
function mapStreamErrors(body: ReadableStream<Uint8Array>, fail: (err: unknown) => never): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        try {
          fail(err);
        } catch (mapped) {
          controller.error(mapped);
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

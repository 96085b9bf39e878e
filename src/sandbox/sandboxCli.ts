/**
 * `perennial sandbox ...`: moves the clock of a running time-travel instance through its HTTP API
 * (`POST /api/sandbox/advance`), authenticated with an instance owner's personal API token
 * (`--token` or PERENNIAL_API_TOKEN); the instance is `--url`, PERENNIAL_URL or PUBLIC_URL.
 */
export const SANDBOX_USAGE = `  sandbox advance <duration>   Move sandbox time forward (30d, 1d12h, 90m, P30D) on a running
                               --time-travel instance, and print what ran
  sandbox set <instant>        Move sandbox time to an ISO 8601 instant (never backwards)
  sandbox status               Show the instance's clock
                               (options: --url <instance> --token <owner API token>,
                                or PERENNIAL_URL / PERENNIAL_API_TOKEN)`;

import http from 'node:http';
import https from 'node:https';

type Report = {
  from: string;
  to: string;
  steps: number;
  queues: { name: string; kind: string; ran: number; failed: number }[];
};

type Answer = { status: number; statusText: string; body: string };

/**
 * One request with no client-side time limit: an advance answers once the instance has worked
 * through every due instant on the way, which for a year can take longer than fetch's 300-second
 * wait for response headers. The server bounds its own work (sandbox_stuck, sandbox_drain_timeout).
 */
function send(url: URL, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, { method: init.method, headers: init.headers, timeout: 0 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

export async function runSandboxCommand(
  args: string[],
  options: { url: string; token: string | undefined; print?: (line: string) => void },
): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const [sub, value] = args;
  if (!options.token) {
    print('An instance owner\'s API token is needed: pass --token or set PERENNIAL_API_TOKEN (create one with POST /api/tokens).');
    return 2;
  }
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' };
  let response: Answer;
  try {
    if (sub === 'status' && value === undefined) {
      response = await send(new URL('/api/sandbox', options.url), { method: 'GET', headers: { authorization: headers.authorization } });
    } else if ((sub === 'advance' || sub === 'set') && value) {
      const body = sub === 'advance' ? { duration: value } : { to: value };
      if (sub === 'advance') print(`Advancing ${value}; the answer comes once everything due on the way has run...`);
      response = await send(new URL('/api/sandbox/advance', options.url), { method: 'POST', headers, body: JSON.stringify(body) });
    } else {
      print(`Usage:\n${SANDBOX_USAGE}`);
      return 2;
    }
  } catch (err) {
    print(`Cannot reach ${options.url}: ${(err as Error).message}`);
    return 1;
  }
  // A body that is not JSON (a proxy's error page) leaves the payload empty: the status line below still says what happened.
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    payload = {};
  }
  if (response.status < 200 || response.status >= 300) {
    const error = payload.error as { code?: string; message?: string } | undefined;
    print(`Refused (${response.status} ${error?.code ?? 'error'}): ${error?.message ?? response.statusText}`);
    return 1;
  }
  if (sub === 'status') {
    print(payload.timeTravel ? `Sandbox time: ${String(payload.now)}` : `Real time (time travel is off): ${String(payload.now)}`);
    return 0;
  }
  const report = payload as unknown as Report;
  print(`Sandbox time moved from ${report.from} to ${report.to} (${report.steps} due instants on the way)`);
  const ran = report.queues.filter((q) => q.ran > 0);
  if (ran.length === 0) print('  nothing was due');
  for (const q of ran) print(`  ${q.name} (${q.kind}): ${q.ran} ran${q.failed ? `, ${q.failed} failed` : ''}`);
  return 0;
}

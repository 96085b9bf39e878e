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

type Report = {
  from: string;
  to: string;
  steps: number;
  queues: { name: string; kind: string; ran: number; failed: number }[];
};

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
  let response: Response;
  try {
    if (sub === 'status' && value === undefined) {
      response = await fetch(`${options.url}/api/sandbox`, { headers: { authorization: headers.authorization } });
    } else if ((sub === 'advance' || sub === 'set') && value) {
      const body = sub === 'advance' ? { duration: value } : { to: value };
      response = await fetch(`${options.url}/api/sandbox/advance`, { method: 'POST', headers, body: JSON.stringify(body) });
    } else {
      print(`Usage:\n${SANDBOX_USAGE}`);
      return 2;
    }
  } catch (err) {
    print(`Cannot reach ${options.url}: ${(err as Error).message}`);
    return 1;
  }
  // A body that is not JSON (a proxy's error page) leaves the payload empty: the status line below still says what happened.
  const payload = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
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

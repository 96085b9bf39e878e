/**
 * Cold start and memory of `perennial serve` (bin/perennial, as users run it), on both engines:
 *   npm run bench:startup [-- --engine pglite|postgres|both] [--runs 3] [--idle 10]
 * For each engine: the time from spawn to the first 200 of /readyz on a fresh database (a new
 * DATA_DIR, or a new database on the server) and on the existing one (a restart), the resident
 * memory once idle (`--idle` seconds after ready) and the peak (VmHWM), from /proc. The server is
 * PERENNIAL_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres); a database is
 * created for the run and dropped after. Figures vary with the machine's load: run it quietly.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '3' },
    idle: { type: 'string', default: '10' },
  },
});
const runs = Number(values.runs);
const idleMs = Number(values.idle) * 1000;
const engines = values.engine === 'both' ? ['pglite', 'postgres'] : [values.engine!];
const BIN = path.resolve('bin/perennial');
const PG_URL = process.env.PERENNIAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const memoryOf = (pid: number) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
};

type Sample = { readyMs: number; rssMb: number; peakMb: number };

/** One start: spawn, poll /readyz, wait idle, read memory, SIGTERM. */
async function start(env: Record<string, string>): Promise<Sample> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(BIN, ['serve'], {
    env: { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let readyMs: number;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) {
      readyMs = Math.round(performance.now() - began);
      break;
    }
    if (performance.now() - began > 120_000) throw new Error('no /readyz within 120 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  await new Promise((r) => setTimeout(r, idleMs));
  const memory = memoryOf(child.pid!);
  child.kill('SIGTERM');
  if ((await exited) !== 0) throw new Error(`serve did not stop cleanly: ${stderr}`);
  return { readyMs, ...memory };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: string[] = [];

for (const engine of engines) {
  const fresh: Sample[] = [];
  const existing: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perennial-bench-'));
    let env: Record<string, string> = { DATA_DIR: dataDir };
    let drop: (() => Promise<void>) | undefined;
    if (engine === 'postgres') {
      const name = `perennial_bench_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = new URL(PG_URL);
      url.pathname = `/${name}`;
      env = { ...env, DATABASE_URL: url.toString(), ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` };
      drop = async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      };
    }
    try {
      fresh.push(await start(env));
      existing.push(await start(env));
    } finally {
      await drop?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  for (const [what, samples] of [['fresh', fresh], ['existing', existing]] as const) {
    rows.push(
      `${engine.padEnd(9)} ${what.padEnd(9)} ready ${String(median(samples.map((s) => s.readyMs))).padStart(5)} ms` +
        `  idle RSS ${String(median(samples.map((s) => s.rssMb))).padStart(4)} MB  peak ${String(median(samples.map((s) => s.peakMb))).padStart(4)} MB` +
        `  (runs: ${samples.map((s) => `${s.readyMs} ms/${s.rssMb} MB/${s.peakMb} MB`).join(', ')})`,
    );
  }
}
console.log(`perennial serve, median of ${runs} (ready = spawn to /readyz 200; idle RSS ${idleMs / 1000} s after ready; peak = VmHWM); load average ${os.loadavg()[0]!.toFixed(1)}`);
for (const row of rows) console.log(row);

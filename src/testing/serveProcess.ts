import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { processEnvironment } from '../config.ts';
import { waitFor } from '../jobs/testing/waitFor.ts';

/**
 * `bin/perennial serve ...` as a real child process, for tests of what only a process shows:
 * start-up, signals, exit codes, the data folder's lock, a restart on the same data.
 */
export const PERENNIAL_BIN = path.resolve('bin/perennial');

export type ServeProcess = {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/** A port that was free a moment ago (for PUBLIC_URL, which must name the port before start). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function spawnPerennial(args: string[], env: Record<string, string>): ServeProcess {
  const child = spawn(PERENNIAL_BIN, args, { env: { ...processEnvironment(), NODE_ENV: 'test', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += String(d)));
  child.stderr!.on('data', (d: Buffer) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Starts `serve` and waits until it says it is running (or exits: then it throws with its output). */
export async function startServe(args: string[], env: Record<string, string>, timeoutMs = 90_000): Promise<ServeProcess> {
  const proc = spawnPerennial(['serve', ...args], env);
  await waitFor(() => proc.output().includes('Perennial is running') || proc.child.exitCode !== null, 'perennial serve to start', timeoutMs);
  if (proc.child.exitCode !== null) throw new Error(`perennial serve exited with ${proc.child.exitCode}:\n${proc.output()}`);
  return proc;
}

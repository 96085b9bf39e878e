/**
 * Worker processes of `npm run bench:publish` (ours and the peers'): started with one JSON
 * argument, "ready" awaited, their stdout read line by line, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export type BenchChild = {
  child: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  onLine(listener: (line: string) => void): void;
  /** SIGTERM, then resolves once it exited (its last lines read). */
  stop(): Promise<void>;
};

export function startBenchProcess(script: string, args: object, options: { cpuProfileDir?: string; name: string }): Promise<BenchChild> {
  const prof = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const child = spawn(process.execPath, [...prof, script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const listeners: ((line: string) => void)[] = [];
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const l of listeners) l(line);
  });
  const handle: BenchChild = {
    child,
    lines,
    onLine: (l) => listeners.push(l),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    handle.onLine((line) => line === 'ready' && resolve(handle));
    void exited.then(() => reject(new Error(`${options.name} exited before it was ready (${child.exitCode})`)));
  });
}

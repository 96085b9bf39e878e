import fs from 'node:fs';
import path from 'node:path';

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dataDir>/perennial.lock` for this process. A lock left by a process that no longer
 * runs (a crash, kill -9) is taken over; a live holder makes this refuse with a clear message.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'perennial.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch (err) {
          // Already gone (the folder was removed): nothing to release. Anything else is a real problem.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      };
      process.once('exit', release);
      return { path: file, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new DataDirLockedError(
          `The data folder ${dataDir} is in use by another Perennial process (pid ${holder}). ` +
            'Stop it first, or set DATA_DIR to another folder. Several processes need a PostgreSQL server (DATABASE_URL).',
        );
      }
      if (holder === process.pid) {
        throw new DataDirLockedError(`The data folder ${dataDir} is already open in this process.`);
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new DataDirLockedError(`Could not take the lock on ${dataDir}`);
}

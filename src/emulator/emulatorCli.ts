import type { Logger } from '../log.ts';
import { emulatedPlatforms, startEmulator } from './core/registerEmulator.ts';

/**
 * `perennial emulator [--port N]`: the platform emulator as its own server, on its own clock
 * (moved through POST /_admin/clock/advance). Point Perennial at it with EMULATOR_URL.
 */
export const EMULATOR_USAGE = `  emulator [--port 4010]
                 Run the platform emulator standalone (set EMULATOR_URL on Perennial to use it)`;

export async function runEmulatorCommand(options: { port: number; host: string; log: Logger }): Promise<void> {
  const emulator = await startEmulator({ port: options.port, host: options.host });
  options.log.info({ url: emulator.url, platforms: emulatedPlatforms() }, 'platform emulator listening');
  const stop = async () => {
    await emulator.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

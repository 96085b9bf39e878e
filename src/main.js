/**
 * The `perennial` entry point. It only turns on Node's compile cache, then loads the command
 * line (cli.ts): a start then reuses the compiled, type-stripped code of the last one instead of
 * stripping and compiling ~300 TypeScript files again (about 0.4 s and 20 MB less at start-up).
 * The cache lives in node_modules/.cache and is keyed on each file's content; without a
 * writable cache Perennial simply starts without it.
 *
 * Plain JavaScript on purpose: a TypeScript entry point would make Node load its type stripper
 * (a WebAssembly build of swc, ~15 MB resident for the life of the process) before the cache is
 * on, whereas with every TypeScript file found in the cache it is never loaded (measured idle on
 * the embedded database: ~207-215 MB with main.ts, ~193-195 MB with this file).
 */
import { enableCompileCache } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

enableCompileCache(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../node_modules/.cache/perennial/compile'));
await import('./cli.ts');

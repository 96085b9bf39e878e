import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

/**
 * An empty, initialised PGlite cluster made once at `npm install` (scripts/prepare.ts), so the
 * first start copies it instead of running initdb (~4 s of WebAssembly). Keyed on the PGlite
 * version; without it, the first start simply runs initdb.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function embeddedTemplatePath(): string {
  const manifest = path.join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json');
  const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string };
  return path.join(ROOT, 'node_modules', '.cache', 'perennial', `pglite-${version}-initdb.tar.gz`);
}

export function readEmbeddedTemplate(): Blob | undefined {
  const file = embeddedTemplatePath();
  return fs.existsSync(file) ? new Blob([fs.readFileSync(file)]) : undefined;
}

export async function writeEmbeddedTemplate(): Promise<string> {
  const file = embeddedTemplatePath();
  if (fs.existsSync(file)) return file;
  const client = await PGlite.create();
  try {
    const dump = await client.dumpDataDir('gzip');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file);
  } finally {
    await client.close();
  }
  return file;
}

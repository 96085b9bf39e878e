/** Runs after `npm install`: prepares the embedded database template (see src/db/embeddedTemplate.ts). */
import { writeEmbeddedTemplate } from '../src/db/embeddedTemplate.ts';

const started = performance.now();
const file = await writeEmbeddedTemplate();
console.log(`perennial: embedded database template ready (${Math.round(performance.now() - started)} ms): ${file}`);

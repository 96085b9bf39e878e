import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the domain schemas and applied by src/db/migrate.ts,
// one transaction each, identically on PGlite and on a PostgreSQL server.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
});

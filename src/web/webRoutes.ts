import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouteModule } from '../http/app.ts';
import { notFound } from '../http/errors.ts';

/** The web app's folder: plain ES modules and CSS, served as they are (no build step). */
export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

/**
 * The single-page app's screens. Each answers index.html and the app routes in the browser;
 * these are also the paths the API links to (the OAuth callback's `/connections?...`, alert
 * emails' `/connections/:id/reconnect`, `/notifications`, `/settings/notifications`, invitation
 * links' `/invitation#token=...`).
 */
export const APP_PATHS = [
  '/',
  '/signin',
  '/workspaces',
  '/connections',
  '/connections/:connectionId/reconnect',
  '/compose',
  '/planner',
  '/import',
  '/campaigns',
  '/campaigns/new',
  '/campaigns/:campaignId',
  '/at-risk',
  '/notifications',
  '/settings/notifications',
  '/settings/account',
  '/settings/workspace',
  '/settings/members',
  '/settings/access-register',
  '/settings/webhooks',
  '/overview',
  '/invitation',
];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Asset names are plain: letters, digits, dashes, dots, one folder level at most. No `..`. */
const ASSET_NAME = /^(?:[A-Za-z0-9_-]+\/)?[A-Za-z0-9_-]+\.(?:js|css|svg)$/;

/**
 * Security headers for the app's pages: scripts and styles only from this origin, no framing
 * (the reconnect buttons must not be clickjacked), no referrer to other sites.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/** GET the web app: index.html at every app path, its assets under /web/. */
export const webRoutes: RouteModule = (app) => {
  const hide = { hide: true } as const;

  for (const url of APP_PATHS) {
    app.get(url, { schema: hide }, async (_request, reply) => {
      const html = await fs.readFile(path.join(WEB_DIR, 'index.html'));
      return reply.headers(PAGE_HEADERS).header('cache-control', 'no-cache').type(TYPES['.html']!).send(html);
    });
  }

  app.get('/web/*', { schema: hide }, async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    if (!ASSET_NAME.test(name)) throw notFound('file');
    let body: Buffer;
    try {
      body = await fs.readFile(path.join(WEB_DIR, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('file');
      throw err;
    }
    // Revalidated on every load (the files change with the code, there is no fingerprinting build).
    return reply
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .type(TYPES[path.extname(name)]!)
      .send(body);
  });
};

/**
 * The admin web page at `/admin`: a single page (built by `admin-ui/build.mjs` into
 * `dist/admin-ui/`) that manages applications, signing keys and the audit log through the admin
 * REST API, signing in with an API key kept in `sessionStorage` (no cookie, so no CSRF surface).
 *
 * A fixed set of files is read into memory once: `index.html`, served at `/admin` with a strict
 * Content-Security-Policy (no inline script or style) and revalidated on every load, and the
 * content-hashed files of `assets/`, served at `/admin/assets/<name>` with a year-long immutable
 * cache. `/admin/` redirects to `/admin`. Anything else under `/admin/` falls through to the
 * not-found handler (404 envelope; `/admin/v1` is the REST API).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../contract/errors.js';
import { sendApiError } from '../http/error-handler.js';

/** Where the page lives. */
export const ADMIN_PAGE_PATH = '/admin';
/** Where its built assets live (`/admin/assets/app-<hash>.js`, ...). */
export const ADMIN_ASSETS_PREFIX = `${ADMIN_PAGE_PATH}/assets/`;

/**
 * The page's Content-Security-Policy: its own script and style files only (no inline code, no
 * eval), API calls to this origin only, no form submissions, no framing, no `<base>`, and DOM
 * sinks that take HTML strings refused (Trusted Types: the page builds every node with the DOM).
 */
export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Headers of every answer under `/admin` but the REST API: the page's and its assets'. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': ADMIN_PAGE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Content types of the files the build writes (any other file in `assets/` is not served). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** One file held in memory. */
interface PageFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** The built page: `index.html` and the assets by file name. */
interface BuiltPage {
  readonly index: PageFile;
  readonly assets: ReadonlyMap<string, PageFile>;
}

/** `dist/admin-ui/` of this package (this module is `src/routes/` or `dist/routes/`). */
export const DEFAULT_ADMIN_UI_DIR = fileURLToPath(new URL('../../dist/admin-ui/', import.meta.url));

const notBuilt = new ApiError(404, 'not_found', 1604, 'The admin page is not built (run npm run build)');
const invalidMethod = new ApiError(405, 'invalid_method', 1605, 'Method not allowed (use GET)');

function pageFile(path: string): PageFile {
  const body = readFileSync(path);
  return {
    body,
    contentType: CONTENT_TYPES[extname(path)]!,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

const loaded = new Map<string, BuiltPage | undefined>();

/** Reads the built page from `dir` (once per folder and process); undefined when it is not built. */
function loadPage(dir: string): BuiltPage | undefined {
  if (loaded.has(dir)) return loaded.get(dir);
  let page: BuiltPage | undefined;
  const indexPath = join(dir, 'index.html');
  if (existsSync(indexPath)) {
    const assetsDir = join(dir, 'assets');
    const assets = new Map<string, PageFile>();
    for (const name of existsSync(assetsDir) ? readdirSync(assetsDir) : []) {
      if (CONTENT_TYPES[extname(name)] !== undefined) assets.set(name, pageFile(join(assetsDir, name)));
    }
    page = { index: pageFile(indexPath), assets };
  }
  loaded.set(dir, page);
  return page;
}

/** Sends `file` with the security headers and `cacheControl`; 304 when the client has it. */
function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: PageFile,
  cacheControl: string,
): FastifyReply {
  reply.headers(SECURITY_HEADERS).header('cache-control', cacheControl).header('etag', file.etag);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.header('content-type', file.contentType).send(file.body);
}

/**
 * Registers `GET /admin` (the page), `GET /admin/` (a redirect to it) and
 * `GET /admin/assets/:name` (its built files); HEAD answers like GET, any other method on `/admin`
 * is 405. When the page is not built, `/admin` answers 404 saying so.
 */
export function registerAdminPage(app: FastifyInstance, dir: string = DEFAULT_ADMIN_UI_DIR): void {
  const page = loadPage(dir);

  app.get(ADMIN_PAGE_PATH, (request, reply) => {
    if (page === undefined) return sendApiError(reply, notBuilt);
    // Revalidated on every load: it names the current hashed assets.
    return sendFile(request, reply, page.index, 'no-cache');
  });

  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: ADMIN_PAGE_PATH,
    handler: (_request, reply) => sendApiError(reply.header('allow', 'GET, HEAD'), invalidMethod),
  });

  // Relative, so the page is found behind a proxy that adds a path prefix.
  app.get(`${ADMIN_PAGE_PATH}/`, (_request, reply) => reply.redirect('../admin', 308));

  app.get(`${ADMIN_ASSETS_PREFIX}:name`, (request, reply) => {
    const { name } = request.params as { name: string };
    const file = page?.assets.get(name);
    if (file === undefined) return reply.callNotFound();
    // The file names carry a hash of their content: a changed file is a new name.
    return sendFile(request, reply, file, 'public, max-age=31536000, immutable');
  });
}

/**
 * The dashboard: `GET /` answers the page, `/web/*` its modules and styles
 * (the `web/` folder beside `src/` and `dist/`, so the sources and the build
 * serve the same files), `/web/vendor/uplot/*` the chart library from its npm
 * package. Static files only: the page talks to the daemon through /api/v1
 * like any other client. GET only, since `POST /` is the Xen API's XML-RPC.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

/** The page runs only its own files: no inline script or style, nothing from elsewhere, not framed. */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** The page gets its own, stricter policy than helmet's app-wide one (which also covers /docs); helmet sets the other headers. */
export const webRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('content-security-policy', PAGE_CSP);
  });
  await app.register(fastifyStatic, { root: WEB_DIR, prefix: '/web/', index: false, maxAge: 0 });
  await app.register(fastifyStatic, { root: UPLOT_DIR, prefix: '/web/vendor/uplot/', decorateReply: false, allowedPath: (path) => /^\/uPlot\.(esm\.js|min\.css)$/.test(path) });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.sendFile('index.html'));
};

/**
 * Security headers on every response, as helmet defines them, with a strict
 * content security policy that /docs (Swagger UI: scripts and styles from
 * itself only) still works under. The policy does not depend on the request
 * (no nonces), so helmet runs once at start-up and each response only copies
 * its headers: @fastify/helmet rebuilds helmet's middleware on every request,
 * which cost a GET about a quarter of its time (`npm run bench:api`). They go
 * among the reply's own headers, so Node writes them all with one `writeHead`
 * (one check a header) rather than through `setHeader` each first; a route
 * that takes over the response (the event stream) writes `reply.getHeaders()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

const OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'none'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      // Swagger UI 5's bundle inserts one <style> element: allowed by its hash alone (the pinned @fastify/swagger-ui's).
      styleSrc: ["'self'", "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"],
    },
  },
  // Plain HTTP on loopback: HSTS and upgrading requests would break it; a TLS proxy in front decides those.
  strictTransportSecurity: false,
};

/** The headers helmet sets for OPTIONS (names in lower case, as Fastify keeps them), by running its middleware once against a response that records them. */
function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => undefined,
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined && error !== null) throw error instanceof Error ? error : new Error(String(error));
  });
  return headers;
}

export function installSecurityHeaders(app: FastifyInstance): void {
  const headers = helmetHeaders(OPTIONS);
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}

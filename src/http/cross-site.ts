/**
 * Cross-site protection, for a daemon that usually runs without a token on
 * loopback: any web page the user visits can send it requests.
 * - Bodies must be JSON: a page can send `text/plain` or a form without a
 *   preflight, never `application/json`. (An empty JSON body is accepted:
 *   many clients send the header on every POST.)
 * - The Host header must be an IP address, a loopback name, HOST, or listed
 *   in NEMESIS_ALLOWED_HOSTS: DNS rebinding needs a name the attacker's DNS
 *   answers, so IP literals are safe and names must be known.
 * - A change with an `Origin` header must come from a page of this origin.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { apiError, type ApiError } from '../vocabulary/errors.ts';
import { viaLocalSocket } from './local-requests.ts';

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const isMutation = (method: string): boolean => MUTATIONS.has(method);

/** Call `add` with every route that changes something, as it is registered: for the hooks only changes get. */
export function onMutationRoutes(app: FastifyInstance, add: (route: RouteOptions) => void): void {
  app.addHook('onRoute', (route) => {
    if ([route.method].flat().some(isMutation)) add(route);
  });
}

/** `example.org:8000` → `example.org`, `[::1]:8000` → `::1`, lower case. */
export function hostnameOf(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') === -1 ? undefined : host.indexOf(']'));
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** The names a Host header may carry besides IP literals and loopback names: HOST when it is a name, and the allowed list. */
export function allowedHostNames(bindHost: string, allowedHosts: readonly string[]): ReadonlySet<string> {
  const names = allowedHosts.map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  if (isIP(bindHost) === 0) names.push(bindHost.toLowerCase());
  return new Set(names);
}

export function isAllowedHost(hostname: string, allowed: ReadonlySet<string>): boolean {
  return isIP(hostname) !== 0 || hostname === 'localhost' || hostname.endsWith('.localhost') || allowed.has(hostname);
}

/** Same origin: the Origin's host and port are the request's (a Host without a port, behind a proxy, compares by name). */
function sameOrigin(origin: string, hostHeader: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const host = hostHeader.toLowerCase();
  const hasPort = /:[0-9]+$/.test(host);
  if (!hasPort) return url.hostname === hostnameOf(host);
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  return `${url.hostname}:${port}` === host || url.host === host;
}

/** Host headers judged so far, at most this many (a client can send any number of names). */
const MAX_JUDGED_HOSTS = 256;

/** Whether a Host header names this daemon, remembered per header: a client sends the same one on every request. */
function hostJudge(allowed: ReadonlySet<string>): (host: string) => boolean {
  const judged = new Map<string, boolean>();
  return (host) => {
    let ok = judged.get(host);
    if (ok === undefined) {
      ok = isAllowedHost(hostnameOf(host), allowed);
      if (judged.size >= MAX_JUDGED_HOSTS) judged.clear();
      judged.set(host, ok);
    }
    return ok;
  };
}

function requestProblem(request: FastifyRequest, isAllowed: (host: string) => boolean): ApiError | undefined {
  const host = request.headers.host;
  // A client without a Host header is no browser (every browser sends one), so no rebinding.
  if (host !== undefined && !isAllowed(host)) {
    return apiError('HOST_NOT_ALLOWED', `Host ${hostnameOf(host)} is not a name of this daemon; add it to NEMESIS_ALLOWED_HOSTS if it is`);
  }
  const origin = request.headers.origin;
  if (origin !== undefined && isMutation(request.method) && !sameOrigin(origin, host ?? '')) {
    return apiError('ORIGIN_NOT_ALLOWED', `a change from a page of ${origin} is refused`);
  }
  return undefined;
}

export interface CrossSiteOptions {
  /** The address the daemon listens on (HOST). */
  readonly bindHost: string;
  /** NEMESIS_ALLOWED_HOSTS: more names clients may use for this daemon. */
  readonly allowedHosts: readonly string[];
}

export function installCrossSiteGuard(app: FastifyInstance, options: CrossSiteOptions): void {
  const isAllowed = hostJudge(allowedHostNames(options.bindHost, options.allowedHosts));
  // A web page cannot reach the local socket: neither rebinding nor a cross-site change can come through it.
  app.addHook('onRequest', (request, _reply, done) => done(viaLocalSocket(request.raw) ? undefined : requestProblem(request, isAllowed)));
  app.removeContentTypeParser('text/plain');
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else void json(request, body as string, done);
  });
}

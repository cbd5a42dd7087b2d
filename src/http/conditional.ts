/**
 * Conditional requests (RFC 9110, section 13) on versioned resources. A route
 * opts in with one line, `config: versioned(kind, param, strength)`:
 * - its GET answers `ETag` (the resource's version) and, when `If-None-Match`
 *   names that version, `304 Not Modified` with no body;
 * - its changes honour `If-Match`: a resource no longer at a version named
 *   there answers `412 PRECONDITION_FAILED` and nothing is changed; a change
 *   that succeeds answers the new `ETag`.
 * The route's schema gains the headers and the 304/412 answers, so the spec
 * documents them. The control layer owns the versions and the check; this
 * module only translates the headers.
 *
 * A representation that carries runtime figures (CPU time) changes while its
 * version does not: its ETag is weak (`W/"7"`). One that is all configuration
 * has a strong ETag (`"7"`). If-Match compares versions, so either form of the
 * tag matches (RFC 9110 asks for a strong comparison; a version counts every
 * change a write could conflict with, so comparing it is exact for writes).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Control, CurrentVersion, ExpectedVersions, VersionedKind } from '../control/index.ts';
import { errorResponses } from '../schemas/responses.ts';
import { invalidArgument } from '../vocabulary/errors.ts';
import { isMutation } from './cross-site.ts';

export interface VersionedRoute {
  readonly kind: VersionedKind;
  /** The path parameter that names the resource (none for a resource of its own, like the scheduler). */
  readonly param?: string;
  readonly etag: 'strong' | 'weak';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    versioned?: VersionedRoute;
  }
}

/** A route's `config` for a versioned resource. */
export const versioned = (kind: VersionedKind, param: string | undefined, etag: 'strong' | 'weak') =>
  ({ versioned: param === undefined ? { kind, etag } : { kind, param, etag } }) as const;

const ENTITY_TAG = /\s*(?:W\/)?"([\x21\x23-\x7e]*)"\s*(?:,|$)/gy;
const MAX_TAG_LIST = 1024;

/** `*`, or the opaque tags of a list such as `"7", W/"8"` (weak or strong alike); a malformed list is a 400 naming the header. */
export function parseEntityTags(header: string, name: string): ExpectedVersions {
  if (header.trim() === '*') return '*';
  const tags: string[] = [];
  ENTITY_TAG.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (ENTITY_TAG.lastIndex < header.length && (match = ENTITY_TAG.exec(header)) !== null) tags.push(match[1]!);
  if (tags.length === 0 || ENTITY_TAG.lastIndex < header.length || header.length > MAX_TAG_LIST) {
    throw invalidArgument(name, 'must be * or a list of entity tags such as "7" or W/"7" (the ETag of a GET)');
  }
  return tags;
}

export const entityTag = (version: number, etag: VersionedRoute['etag']): string => `${etag === 'weak' ? 'W/' : ''}"${version}"`;

const tagList = (description: string) => Type.Optional(Type.String({ maxLength: MAX_TAG_LIST, description }));
const IF_MATCH = tagList('Change only if the resource is still at this version: the `ETag` of a GET (weak or strong), a list of them, or `*`. Otherwise 412 and nothing is changed.');
const IF_NONE_MATCH = tagList('Answer 304 with no body while the resource is at this version (the `ETag` of an earlier GET).');
const ETAG_HEADER = { ETag: { type: 'string', description: 'The resource\'s version: it changes with every change to its configuration (weak when the body also carries runtime figures).' } };

/** Add header parameters to a route's schema (the spec documents them; they are validated like any input). */
export function addHeaderParameters(route: RouteOptions, properties: Record<string, TSchema>): void {
  const schema = (route.schema ??= {});
  const existing = (schema.headers as { properties?: Record<string, TSchema> } | undefined)?.properties ?? {};
  schema.headers = Type.Object({ ...existing, ...properties });
}

function document(route: RouteOptions, write: boolean): void {
  addHeaderParameters(route, write ? { 'if-match': IF_MATCH } : { 'if-none-match': IF_NONE_MATCH });
  const schema = (route.schema ??= {});
  const response = { ...(schema.response as Record<string, Record<string, unknown>> | undefined) };
  for (const [status, answer] of Object.entries(response)) {
    if (/^2/.test(status) && status !== '204') response[status] = { ...answer, headers: ETAG_HEADER };
  }
  if (write) Object.assign(response, errorResponses(412));
  else response['304'] = { type: 'null', description: 'Not Modified: the resource is still at the version `If-None-Match` names. No body.', headers: ETAG_HEADER };
  schema.response = Object.fromEntries(Object.entries(response).sort(([a], [b]) => Number(a) - Number(b)));
}

/** Give every route with `config.versioned` its ETag, If-None-Match and If-Match. */
export function installConditionalRequests(app: FastifyInstance, control: Pick<Control, 'versions'>): void {
  app.addHook('onRoute', (route) => {
    const target = (route.config as { versioned?: VersionedRoute } | undefined)?.versioned;
    if (target === undefined) return;
    const write = [route.method].flat().some(isMutation);
    document(route, write);
    const handler = route.handler;
    /** The version now, or undefined when there is none (the handler then answers its own 404). */
    const current = (ref: string): CurrentVersion | undefined => {
      try {
        return control.versions.current(target.kind, ref);
      } catch {
        return undefined;
      }
    };
    const refOf = (request: FastifyRequest): string => (target.param === undefined ? '' : ((request.params as Record<string, string>)[target.param] ?? ''));
    // Each branch checks and calls the handler in one synchronous run: no other request can change the resource between them.
    if (!write) {
      // Not async: a read answers the handler's own promise, with no second one around it (Fastify catches what this throws).
      route.handler = function conditionalRead(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): unknown {
        const now = current(refOf(request));
        if (now === undefined) return handler.call(this, request, reply);
        void reply.header('etag', entityTag(now.version, target.etag));
        const ifNoneMatch = request.headers['if-none-match'];
        if (ifNoneMatch !== undefined) {
          const expected = parseEntityTags(ifNoneMatch, 'If-None-Match');
          if (expected === '*' || expected.includes(String(now.version))) return reply.code(304).send();
        }
        return handler.call(this, request, reply);
      };
      return;
    }
    route.handler = async function conditional(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
      const ref = refOf(request);
      const ifMatch = request.headers['if-match'];
      if (ifMatch !== undefined) control.versions.require(target.kind, ref, parseEntityTags(ifMatch, 'If-Match'));
      const stable = current(ref)?.ref ?? ref;
      const result: unknown = await handler.call(this, request, reply);
      const after = current(stable);
      if (after !== undefined && !reply.sent) void reply.header('etag', entityTag(after.version, target.etag));
      return result;
    };
  });
}

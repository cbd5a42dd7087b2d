/**
 * Requests for every operation of the OpenAPI document: path parameters, headers
 * and bodies from the operation's schemas (valid and broken), plus what no schema
 * describes: malformed JSON, other content types, empty and oversize bodies.
 */
import fc from 'fast-check';
import { encodeEventCursor } from '../../src/http/pages.ts';
import { HUGE_STRING, ODD_STRINGS, invalidValue, validValue, type JsonSchema, type SchemaContext } from './schema-arbitraries.ts';

export interface Operation {
  readonly method: string;
  /** The path template, e.g. `/api/v1/domains/{ref}/sched`. */
  readonly path: string;
  readonly params: readonly { readonly name: string; readonly in: string; readonly required: boolean; readonly schema: JsonSchema }[];
  readonly body?: JsonSchema;
}

/** What is sent; an oversize body is built at send time so generated values stay small. */
export type Body =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'raw'; readonly contentType?: string; readonly text: string }
  | { readonly kind: 'oversize'; readonly contentType: string };

export interface FuzzRequest {
  readonly operation: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Body;
}

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, { parameters?: Operation['params']; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  readonly components: { readonly schemas: Record<string, JsonSchema> };
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const body = operation.requestBody?.content['application/json']?.schema;
      return { method: method.toUpperCase(), path, params: operation.parameters ?? [], ...(body === undefined ? {} : { body }) };
    }),
  );
}

export const operationName = (operation: Operation): string => `${operation.method} ${operation.path}`;

/** Fastify's default body limit (1 MiB) plus one byte. */
export const OVERSIZE_BYTES = 1024 * 1024 + 1;

const MALFORMED_JSON = [
  '{', '}', '{"name":}', "{'name':'x'}", '{"name":"a",}', '{"name":"a"}{"name":"b"}', 'NaN', 'undefined', '\uFEFF{"name":"a"}',
  '{"name":"\\ud800"}', '{"a":1e999}', '[', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}',
  '['.repeat(5000) + ']'.repeat(5000), '{"a":' + '1'.repeat(400) + '}', 'null', '"str"', '0', 'true',
] as const;

const OTHER_CONTENT_TYPES = [
  'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/xml', 'application/json; charset=latin1', 'application/json-patch+json', 'APPLICATION/JSON', 'application/json;;', 'json',
] as const;

/** Domains and cpupools the fixture creates (by name and id) and refs that must resolve to nothing or be refused. */
export const FIXTURE_REFS = ['Domain-0', '0', 'alpha', '1', 'beta', '2', 'gamma', '3', 'delta', '4', 'io', '5', 'Pool-0', 'spare'] as const;
export const ODD_REFS = [
  '.', '..', '...', '6', '7', '99', '007', '00', '1e3', '0x1', '-1', '+1', '1.0', '2147483647', '2147483648', '99999999999999999999',
  'nosuch', 'a.b', '_', '-', 'Domain-00', 'ALPHA', 'z'.repeat(64),
] as const;
const NAMES = ['alpha', 'beta', 'web', 'db', 'x.y', 'a-b', 'A_1', '.', '..', '.hidden', 'Domain-0', 'n'.repeat(64), 'é'] as const;

/** The named shapes get pools that hit existing domains and the odd corners; other schemas are generic. */
export function namedValues(): Record<string, fc.Arbitrary<unknown>> {
  return {
    DomainRef: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...FIXTURE_REFS) }, fc.constantFrom(...ODD_REFS)),
    DomainName: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...NAMES) }, fc.stringMatching(/^[a-z][A-Za-z0-9._-]{0,63}$/)),
    CpupoolRef: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...FIXTURE_REFS) }, fc.constantFrom(...ODD_REFS)),
    CpupoolName: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('spare', 'Pool-0', 'batch', 'p.1', ...NAMES) }, fc.stringMatching(/^[a-z][A-Za-z0-9._-]{0,63}$/)),
  };
}

const VCPU_IDS = ['0', '1', '2', '3', '127', '999', '000'] as const;
const BAD_PATH_VALUES = ['', ' ', 'a'.repeat(65), 'a'.repeat(1000), ...ODD_STRINGS, '%', '%zz', '..%2f..', '1000', '٣'] as const;
/** `Last-Event-ID` values the route must refuse; a valid one opens a stream, which inject would wait on forever. */
const BAD_LAST_EVENT_IDS = ['abc', '-1', '1'.repeat(16), '1.5', ' 1', '0x10', '1e3', ''] as const;

function paramValue(name: string, schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<string> {
  const valid = name === 'n' ? fc.constantFrom(...VCPU_IDS) : (validValue({ $ref: '#/components/schemas/DomainRef' }, ctx) as fc.Arbitrary<string>);
  const invalid = fc.oneof(fc.constantFrom(...BAD_PATH_VALUES), invalidValue(schema, ctx).filter((v) => typeof v === 'string') as fc.Arbitrary<string>);
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: invalid });
}

/**
 * Cursors: ones the daemon gives (base64url of `after:N`, or of an event id of
 * its own boot: see withEventCursors) and ones it must refuse (another boot's
 * event `ZXZlbnQ6MGJhZDAwMDAtMw`, and malformed ones).
 */
const CURSORS = [
  'YWZ0ZXI6MA', 'YWZ0ZXI6Mg', 'YWZ0ZXI6OTk', 'YWZ0ZXI6MDE', 'YWZ0ZXI6LTE', 'abc', '_', 'YWZ0ZXI6MA==',
  'this-boot-event.0', 'this-boot-event.3', 'this-boot-event.9', 'this-boot-event.999', 'ZXZlbnQ6MGJhZDAwMDAtMw',
] as const;

/** The cursor of event N of the daemon a request goes to, whose boot id is known only then. */
export const withEventCursors = (url: string, boot: string): string =>
  url.replace(/this-boot-event\.([0-9]+)/g, (_, seq: string) => encodeEventCursor(`${boot}-${seq}`));

/** Event type filters: types and prefixes the daemon has, and ones that match none (strings from the schema's pattern rarely name one). */
const EVENT_TYPE_FILTERS = ['domain.*', 'cpupool.*,domain.cpupool', 'domain.started,scheduler.updated', 'scheduling-domain.*', '*', 'clock.updated', 'domain', 'nothing.*'] as const;

/** A query parameter's value: valid or broken by its schema, and cursors given and made up. */
function queryValue(name: string, schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<string> {
  // A domain ref's pattern has a lookahead, which fast-check cannot generate from: the refs' own pool.
  const isRef = typeof schema['pattern'] === 'string' && schema['pattern'].includes('(?');
  const fromSchema = (): fc.Arbitrary<string> => validValue(schema, ctx).filter((v) => typeof v === 'string') as fc.Arbitrary<string>;
  const valid = name === 'cursor'
    ? fc.constantFrom(...CURSORS)
    : name === 'types' ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...EVENT_TYPE_FILTERS) }, fromSchema())
    : isRef ? fc.constantFrom(...FIXTURE_REFS, ...ODD_REFS) : fromSchema();
  const invalid = fc.oneof(fc.constantFrom('', ' ', '0', '-1', '1001', 'x'.repeat(100), '%zz'), invalidValue(schema, ctx).filter((v) => typeof v === 'string') as fc.Arbitrary<string>);
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: invalid });
}

/** Some of the operation's query parameters (none a third of the time, so the plain list is reached too). */
function queryOf(operation: Operation, ctx: SchemaContext): fc.Arbitrary<string> {
  const inQuery = operation.params.filter((p) => p.in === 'query');
  if (inQuery.length === 0) return fc.constant('');
  const some = fc.record(Object.fromEntries(inQuery.map((p) => [p.name, queryValue(p.name, p.schema, ctx)])), { requiredKeys: [] }) as fc.Arbitrary<Record<string, string>>;
  return fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 2, arbitrary: some.map((query) => {
    const text = new URLSearchParams(query).toString();
    return text === '' ? '' : `?${text}`;
  }) });
}

function urlOf(operation: Operation, ctx: SchemaContext): fc.Arbitrary<string> {
  const inPath = operation.params.filter((p) => p.in === 'path');
  const path = inPath.length === 0
    ? fc.constant(operation.path)
    : fc.tuple(...inPath.map((p) => paramValue(p.name, p.schema, ctx))).map((values) =>
      inPath.reduce((url, p, i) => url.replace(`{${p.name}}`, encodeURIComponent(values[i] ?? '')), operation.path),
    );
  return fc.tuple(path, queryOf(operation, ctx)).map(([url, query]) => `${url}${query}`);
}

const json = (value: unknown): Body => ({ kind: 'json', value });

function schemaBody(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 6, arbitrary: validValue(schema, ctx).map(json) },
    { weight: 7, arbitrary: invalidValue(schema, ctx).map(json) },
    { weight: 3, arbitrary: unexpectedBody(validValue(schema, ctx)) },
  );
}

/** Bodies no schema describes: broken JSON, other media types, nothing at all, too much. */
function unexpectedBody(valid: fc.Arbitrary<unknown>): fc.Arbitrary<Body> {
  return fc.oneof(
    fc.constantFrom(...MALFORMED_JSON).map((text): Body => ({ kind: 'raw', contentType: 'application/json', text })),
    fc.tuple(fc.constantFrom(...OTHER_CONTENT_TYPES), valid).map(([contentType, value]): Body => ({ kind: 'raw', contentType, text: JSON.stringify(value) })),
    fc.constantFrom<Body>(
      { kind: 'raw', contentType: 'application/json', text: '' },
      { kind: 'raw', text: '' },
      { kind: 'raw', text: '{"name":"nobody"}' },
      { kind: 'raw', contentType: 'text/plain', text: HUGE_STRING },
      { kind: 'oversize', contentType: 'application/json' },
      { kind: 'oversize', contentType: 'text/plain' },
    ),
  );
}

function bodyOf(operation: Operation, ctx: SchemaContext): fc.Arbitrary<Body> {
  if (operation.body !== undefined) return schemaBody(operation.body, ctx);
  if (operation.method === 'GET') return fc.oneof({ weight: 9, arbitrary: fc.constant<Body>({ kind: 'none' }) }, unexpectedBody(fc.constant({})));
  return fc.oneof({ weight: 3, arbitrary: fc.constant<Body>({ kind: 'none' }) }, fc.constant(json({})), unexpectedBody(fc.constant({ force: true })));
}

/** Entity tags for If-Match and If-None-Match: versions the fixture's resources are at or near, and malformed lists. */
const ENTITY_TAGS = ['*', '"1"', '"2"', '"5"', '"9"', '"10"', 'W/"9"', '"9", "10"', 'W/"3", "12"', '"999999"', '""'] as const;
const BAD_ENTITY_TAGS = ['9', 'abc', 'W/', '"unterminated', '"a" "b"', ',', '"1",,', 'W/ "1"', `"${'9'.repeat(2000)}"`] as const;

/** A value for one header parameter, by its name. */
function headerValue(name: string): fc.Arbitrary<string> {
  if (name === 'last-event-id') return fc.constantFrom(...BAD_LAST_EVENT_IDS);
  if (name === 'if-match' || name === 'if-none-match') {
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ENTITY_TAGS) }, { weight: 1, arbitrary: fc.constantFrom(...BAD_ENTITY_TAGS) });
  }
  // A few keys again and again (retries, and reuse with another request), and any others.
  if (name === 'idempotency-key') return fc.oneof(fc.constantFrom('k1', 'k2', 'k3'), fc.stringMatching(/^[\x20-\x7e]{0,40}$/), fc.constant('k'.repeat(256)));
  return fc.stringMatching(/^[\x21-\x7e]{0,40}$/);
}

function headersOf(operation: Operation): fc.Arbitrary<Record<string, string>> {
  const headers = operation.params.filter((p) => p.in === 'header');
  if (headers.length === 0) return fc.constant({});
  // Last-Event-ID always, with only refused values, as a stream that opens never ends under inject. Others are sent in some requests.
  const required = headers.filter((p) => p.name.toLowerCase() === 'last-event-id');
  const optional = headers.filter((p) => p.name.toLowerCase() !== 'last-event-id');
  const record = (names: readonly { name: string }[], requiredKeys: string[]) =>
    fc.record(Object.fromEntries(names.map((p) => [p.name, headerValue(p.name.toLowerCase())])), { requiredKeys }) as fc.Arbitrary<Record<string, string>>;
  if (optional.length === 0) return record(required, required.map((p) => p.name));
  // Without them two times in three: a precondition that fails would otherwise keep most deletes from being reached.
  return fc.oneof({ weight: 2, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: record(optional, []) });
}

export function requestFor(operation: Operation, ctx: SchemaContext): fc.Arbitrary<FuzzRequest> {
  return fc.record({ url: urlOf(operation, ctx), headers: headersOf(operation), body: bodyOf(operation, ctx) })
    .map(({ url, headers, body }) => ({ operation: operationName(operation), method: operation.method, url, headers, body }));
}

/** A short, pasteable description: huge strings and oversize bodies by their length. */
export function describeRequest(request: FuzzRequest): string {
  const clip = (text: string): string => (text.length > 200 ? `${JSON.stringify(text.slice(0, 60))}… (${text.length} chars)` : JSON.stringify(text));
  const url = request.url.length > 200 ? `${request.url.slice(0, 60)}… (${request.url.length} chars)` : request.url;
  const line = `${request.method} ${url}${Object.keys(request.headers).length === 0 ? '' : ` headers=${JSON.stringify(request.headers)}`}`;
  const body = request.body;
  switch (body.kind) {
    case 'none':
      return line;
    case 'json':
      return `${line} json=${clip(JSON.stringify(body.value) ?? 'undefined')}`;
    case 'raw':
      return `${line} content-type=${body.contentType ?? '(none)'} body=${clip(body.text)}`;
    case 'oversize':
      return `${line} content-type=${body.contentType} body=(${OVERSIZE_BYTES} bytes)`;
  }
}

/**
 * Pages of a list, as HTTP sees them. Without `limit`, a list answers every
 * item in a bare JSON array, exactly as before pages existed. With `limit`, it
 * answers one page, `{items, next}`, and a `Link: <…>; rel="next"` header
 * (RFC 8288) while more follow. The cursor is opaque to clients; inside it is
 * the key (a domid) or the event id the next page goes on after.
 */
import { Type, type TUnsafe } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Page } from '../control/index.ts';
import { invalidArgument } from '../vocabulary/errors.ts';

const CURSOR_PREFIX = 'after:';
const EVENT_CURSOR_PREFIX = 'event:';

/** What a cursor holds after `prefix`, when it is one this daemon wrote (canonical, `pattern`); a 400 otherwise. */
function cursorContent(cursor: string, prefix: string, pattern: RegExp): string {
  const text = Buffer.from(cursor, 'base64url').toString();
  const content = text.slice(prefix.length);
  if (!text.startsWith(prefix) || !pattern.test(content) || Buffer.from(text).toString('base64url') !== cursor) {
    throw invalidArgument('cursor', 'is not a cursor this daemon gave: use the `next` of the page before');
  }
  return content;
}

export const encodeCursor = (after: number): string => Buffer.from(`${CURSOR_PREFIX}${after}`).toString('base64url');

/** The key a cursor goes on after. */
export const decodeCursor = (cursor: string | undefined): number | undefined =>
  cursor === undefined ? undefined : Number(cursorContent(cursor, CURSOR_PREFIX, /^(0|[1-9][0-9]{0,9})$/));

/** The cursor of a list of events: the id of the event to go on after, whose boot part tells a cursor from another daemon life. */
export const encodeEventCursor = (id: string): string => Buffer.from(`${EVENT_CURSOR_PREFIX}${id}`).toString('base64url');

/** The event id (`<boot>-<seq>`) a cursor goes on after. */
export const decodeEventCursor = (cursor: string | undefined): string | undefined =>
  cursor === undefined ? undefined : cursorContent(cursor, EVENT_CURSOR_PREFIX, /^[0-9a-f]{1,16}-(0|[1-9][0-9]{0,14})$/);

/** A list's 200: the bare array (no `limit`) or one page (with `limit`). */
export const listOrPage = <L, P>(list: TUnsafe<L>, page: TUnsafe<P>, description: string): TUnsafe<L | P> =>
  Type.Unsafe<L | P>({ anyOf: [list, page], description });

/** What a list's `include` asks for. */
export interface ListInclude {
  readonly version: boolean;
  readonly total: boolean;
}

export function parseInclude(include: string | undefined): ListInclude {
  const asked = new Set(include?.split(','));
  return { version: asked.has('version'), total: asked.has('total') };
}

/**
 * The answer for a list: every item as before when `limit` is absent, else the
 * page (with its `total` when counted), with its `Link` to the next.
 * `cursorOf` writes the cursor of a key.
 */
export function answerPage<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  page: Page<T>,
  limit: number | undefined,
  cursorOf: (after: number) => string = encodeCursor,
): T[] | { items: T[]; next: string | null; total?: number } {
  if (limit === undefined) return page.items;
  const next = page.next_after === null ? null : cursorOf(page.next_after);
  if (next !== null) {
    const query = new URLSearchParams(request.query as Record<string, string>);
    query.set('cursor', next);
    const path = request.url.split('?')[0] ?? request.url;
    void reply.header('link', `<${path}?${query.toString()}>; rel="next"`);
  }
  return page.total === undefined ? { items: page.items, next } : { items: page.items, next, total: page.total };
}

/** What every list's query has besides its filters. */
export interface ListQuery {
  readonly limit?: string | undefined;
  readonly cursor?: string | undefined;
  readonly include?: string | undefined;
}

/** A list the control layer keeps: all of it, or one filtered page by key. */
export interface PagedList<T, F> {
  list(): T[];
  page(query: F & { readonly after: number | undefined; readonly limit: number | undefined; readonly total: boolean }): Page<T>;
}

/**
 * A list route's answer: the bare list when its query asks for nothing (no
 * page, filter or include), else the page of what matches `filters` (given
 * only when asked for), each item with its version under `include=version`.
 */
export function answerList<T, F extends object>(
  request: FastifyRequest,
  reply: FastifyReply,
  query: ListQuery,
  filters: F,
  source: PagedList<T, F>,
  versionOf: (item: T) => number,
): T[] | { items: T[]; next: string | null; total?: number } {
  const limit = query.limit === undefined ? undefined : Number(query.limit);
  if (limit === undefined && query.cursor === undefined && query.include === undefined && Object.keys(filters).length === 0) return source.list();
  const include = parseInclude(query.include);
  const page = source.page({ ...filters, after: decodeCursor(query.cursor), limit, total: include.total });
  const versioned = include.version ? { ...page, items: page.items.map((item) => ({ ...item, version: versionOf(item) })) } : page;
  return answerPage(request, reply, versioned, limit);
}

/**
 * Pages of a list, as HTTP sees them. Without `limit`, a list answers every
 * item in a bare JSON array, exactly as before pages existed. With `limit`, it
 * answers one page, `{items, next}`, and a `Link: <…>; rel="next"` header
 * (RFC 8288) while more follow. The cursor is opaque to clients; inside it is
 * the key (domid) the next page goes on after.
 */
import { Type, type TUnsafe } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Page } from '../control/index.ts';
import { invalidArgument } from '../vocabulary/errors.ts';

const CURSOR_PREFIX = 'after:';

export const encodeCursor = (after: number): string => Buffer.from(`${CURSOR_PREFIX}${after}`).toString('base64url');

/** The key a cursor goes on after; a cursor this daemon did not give is a 400. */
export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString();
  const after = Number(text.slice(CURSOR_PREFIX.length));
  if (!text.startsWith(CURSOR_PREFIX) || !/^[0-9]{1,10}$/.test(text.slice(CURSOR_PREFIX.length)) || encodeCursor(after) !== cursor) {
    throw invalidArgument('cursor', 'is not a cursor this daemon gave: use the `next` of the page before');
  }
  return after;
}

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

/** The answer for a list: every item as before when `limit` is absent, else the page (with its `total` when counted), with its `Link` to the next. */
export function answerPage<T>(request: FastifyRequest, reply: FastifyReply, page: Page<T>, limit: number | undefined): T[] | { items: T[]; next: string | null; total?: number } {
  if (limit === undefined) return page.items;
  const next = page.next_after === null ? null : encodeCursor(page.next_after);
  if (next !== null) {
    const query = new URLSearchParams(request.query as Record<string, string>);
    query.set('cursor', next);
    const path = request.url.split('?')[0] ?? request.url;
    void reply.header('link', `<${path}?${query.toString()}>; rel="next"`);
  }
  return page.total === undefined ? { items: page.items, next } : { items: page.items, next, total: page.total };
}

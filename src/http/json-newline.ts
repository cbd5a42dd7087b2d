/**
 * Every JSON answer ends with a newline, as a line of text does: `curl`
 * commands one after another print their answers on lines of their own, and
 * the shell's prompt starts on a new line. Added to the serialised text
 * (Fastify sets content-length after the onSend hooks); an answer that already
 * ends with one (JSON Lines) is left as it is. The Xen API's JSON-RPC answers,
 * written as bytes, end with one too (xenapi/index.ts).
 */
import type { FastifyInstance } from 'fastify';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/;
const NEWLINE = 0x0a;

/** What Fastify's serialisers answer: compared before the pattern, which then sees only the rare other types. */
const FASTIFY_JSON = 'application/json; charset=utf-8';

const isJson = (type: unknown): boolean => type === FASTIFY_JSON || JSON_TYPE.test(String(type ?? ''));

export function endJsonAnswersWithNewline(app: FastifyInstance): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    const json = typeof payload === 'string' && payload.charCodeAt(payload.length - 1) !== NEWLINE && isJson(reply.getHeader('content-type'));
    done(null, json ? `${payload}\n` : payload);
  });
}

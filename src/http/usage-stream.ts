/**
 * `usage` events on /api/v1/events (`?usage_ms=N`): every N ms of wall time,
 * the observed shares since the previous one. Kept apart from the events route
 * so that the route only asks for it.
 */
import { Type } from '@sinclair/typebox';
import type { UsageControl } from '../control/index.ts';
import { MAX_USAGE_INTERVAL_MS, MIN_USAGE_INTERVAL_MS } from '../schemas/usage.ts';

/** The events route's query parameter. */
export const usageStreamQuery = {
  usage_ms: Type.Optional(Type.String({
    pattern: '^[0-9]{1,15}$',
    description: `Also send a \`usage\` event every usage_ms ms of wall time (${MIN_USAGE_INTERVAL_MS}..${MAX_USAGE_INTERVAL_MS}; default off): ` +
      'observed shares per domain and per scheduling domain since the previous one, per pCPU busy shares, the simulated time and the clock speed.',
    examples: ['1000'],
  })),
};

/**
 * Start the usage events (a bad interval throws a 400 before anything is
 * written), each handed to `send` as one SSE frame (the stream's own writer,
 * so they share its flow control); returns what stops them.
 */
export function streamUsage(usage: UsageControl, usage_ms: string | undefined, send: (frame: string) => void): () => void {
  if (usage_ms === undefined) return () => undefined;
  return usage.subscribe(Number(usage_ms), (sample) => send(`event: usage\ndata: ${JSON.stringify(sample)}\n\n`));
}

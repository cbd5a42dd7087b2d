/**
 * `usage` events on /api/v1/events (`?usage_ms=N`): every N ms of wall time,
 * the observed shares since the previous one. Kept apart from the events route
 * so that the route only asks for it.
 */
import { Type } from '@sinclair/typebox';
import { checkUsageInterval, type UsageControl } from '../control/index.ts';
import { MAX_USAGE_INTERVAL_MS, MIN_USAGE_INTERVAL_MS } from '../schemas/usage.ts';
import type { SseStream } from './sse.ts';

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
 * The usage feed a request asks for, checked before the stream opens (a bad
 * interval is a 400, not a broken stream): attach it to the stream once open;
 * it returns what stops it. Undefined when the request asks for none.
 */
export function usageFeed(usage: UsageControl, usage_ms: string | undefined): ((stream: SseStream) => () => void) | undefined {
  if (usage_ms === undefined) return undefined;
  const interval_ms = Number(usage_ms);
  checkUsageInterval(interval_ms);
  return (stream) => usage.subscribe(interval_ms, (sample) => stream.send({ event: 'usage', data: sample }));
}

/** The forms a scheduler trace is given in: Chrome's Trace Event Format, or JSON Lines. */
export const TRACE_FORMATS = ['chrome', 'jsonl'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** How many event streams the daemon keeps open, and how much one may hold back for a slow client. */
export interface StreamLimits {
  /** Open streams in all. */
  readonly total: number;
  /** Open streams from one client address. */
  readonly perClient: number;
  /** Bytes one stream may hold back while its client does not read. */
  readonly queueBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { total: 1000, perClient: 20, queueBytes: 1024 * 1024 };
/** The most streams a configuration may allow, in all or per client. */
export const MAX_STREAMS = 1_000_000;

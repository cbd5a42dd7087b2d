/** An expected failure: printed as one line on stderr, exit code 1 (never a stack trace). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** A bad flag or argument found after parsing (commander reports its own): usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

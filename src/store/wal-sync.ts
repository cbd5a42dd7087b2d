/**
 * Group commit for the write-ahead log. Commits run with synchronous=NORMAL:
 * when a transaction returns, its frames are in the WAL file (the page cache),
 * which survives the process being killed but not a power loss. Syncing that
 * file with fsync takes milliseconds, and better-sqlite3 would do it on the
 * event loop, stalling the tick loop and every request. So the sync runs in
 * libuv's thread pool instead, one for every commit made while the previous
 * one ran, and a change is acknowledged only once a sync that began after its
 * commit has finished: nothing acknowledged is lost, even to a power loss.
 * A failed sync is final: after one, the kernel may have dropped the pages it
 * could not write, so a later sync that succeeds proves nothing.
 */
export class WalSync {
  readonly #sync: () => Promise<void>;
  /** Commits so far, and how many of them a finished sync covers. */
  #committed = 0;
  #durable = 0;
  #running = false;
  #failure: { readonly error: unknown } | undefined;
  #waiters: { readonly upTo: number; resolve(): void; reject(error: unknown): void }[] = [];

  /** `sync` flushes the WAL file to disk (fsync). */
  constructor(sync: () => Promise<void>) {
    this.#sync = sync;
  }

  /** A transaction committed. */
  committed(): void {
    this.#committed++;
  }

  /** Resolves once every transaction committed before this call is on disk; rejects if the sync covering it failed. */
  synced(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure.error);
    if (this.#durable === this.#committed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ upTo: this.#committed, resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#waiters.length > 0) {
      const upTo = this.#committed;
      try {
        await this.#sync();
        this.#durable = upTo;
      } catch (error) {
        this.#failure = { error };
        for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
        break;
      }
      const covered = this.#waiters.filter((waiter) => waiter.upTo <= upTo);
      this.#waiters = this.#waiters.filter((waiter) => waiter.upTo > upTo);
      for (const waiter of covered) waiter.resolve();
    }
    this.#running = false;
  }
}

/**
 * XenAPI sessions: `session.login_with_password` with NEMESIS_TOKEN as the
 * password (any user name), or from loopback when no token is configured,
 * as the REST API allows. Sessions live in memory: a restart ends them.
 */
import { randomUUID } from 'node:crypto';
import type { Sessions } from './dispatcher.ts';
import { failure } from './failure.ts';
import { refOf } from './values.ts';

/** Sessions kept at most; the oldest goes first (clients that never log out cannot grow the daemon). */
export const MAX_SESSIONS = 4096;

export interface Session {
  readonly uuid: string;
  readonly user: string;
  readonly originator: string;
}

export class SessionTable implements Sessions {
  private readonly live = new Map<string, Session>();
  /** Undefined when no token is configured (logins from loopback only). */
  private readonly isToken: ((password: string) => boolean) | undefined;
  /** Called when a session ends (event registrations go with it). */
  onEnd: (ref: string) => void = () => undefined;

  /** `isToken` tests a password against NEMESIS_TOKEN; undefined when no token is configured. */
  constructor(isToken: ((password: string) => boolean) | undefined) {
    this.isToken = isToken;
  }

  login(user: string, password: string, originator: string, from: { readonly loopback: boolean; readonly localSocket: boolean }): string {
    const allowed = from.localSocket || (this.isToken === undefined ? from.loopback : this.isToken(password));
    if (!allowed) {
      throw failure('SESSION_AUTHENTICATION_FAILED', user, this.isToken === undefined ? 'no token is configured: log in from loopback' : 'wrong password (NEMESIS_TOKEN)');
    }
    const uuid = randomUUID();
    const ref = refOf(uuid);
    this.live.set(ref, { uuid, user, originator });
    if (this.live.size > MAX_SESSIONS) this.end(this.live.keys().next().value!);
    return ref;
  }

  check(ref: unknown): string {
    if (typeof ref !== 'string' || !this.live.has(ref)) throw failure('SESSION_INVALID', typeof ref === 'string' ? ref : '');
    return ref;
  }

  has(ref: string): boolean {
    return this.live.has(ref);
  }

  get(ref: string): Session {
    return this.live.get(ref)!;
  }

  end(ref: string): void {
    if (this.live.delete(ref)) this.onEnd(ref);
  }
}

/**
 * Conditional requests (RFC 9110's If-Match and If-None-Match) as the control
 * layer sees them: a request names a resource by kind and ref, and a write
 * goes ahead only while the resource is at one of the versions the client
 * read. The check and the change run in one turn of the event loop, so no
 * other change can come between them.
 */
import { POOL0_ID, POOL0_NAME } from '../hypervisor/index.ts';
import { apiError } from '../vocabulary/errors.ts';
import type { ConfigState } from './config-state.ts';
import { SCHEDULER_KEY, type VersionedKind } from './versions.ts';

/** The resource a ref names: its key, or undefined when it does not exist; a ref that names no domain throws its 404. */
const LOCATE: Record<VersionedKind, (state: ConfigState, ref: string) => number | undefined> = {
  domain: (state, ref) => state.resolve(ref).domid,
  'scheduling-domain': (state, ref) => {
    const master = state.resolve(ref, 'master');
    return state.group(master.domid) === undefined ? undefined : master.domid;
  },
  scheduler: () => SCHEDULER_KEY,
  cpupool: (state, ref) => poolId(state, ref),
};

const DESCRIBE: Record<VersionedKind, (state: ConfigState, key: number) => string> = {
  domain: (state, key) => `domain ${state.get(key).name}`,
  'scheduling-domain': (state, key) => `the scheduling domain of ${state.get(key).name}`,
  scheduler: () => 'the scheduler',
  cpupool: (state, key) => `cpupool ${key === POOL0_ID ? POOL0_NAME : (state.pools.get(key)?.name ?? key)}`,
};

/** A cpupool by id or name as the configuration holds it (every pool but Pool-0 is stored); one that is not there throws its 404. */
function poolId(state: ConfigState, ref: string): number {
  if (ref === String(POOL0_ID) || ref === POOL0_NAME) return POOL0_ID;
  const found = [...state.pools.values()].find((pool) => String(pool.id) === ref || pool.name === ref);
  if (found === undefined) throw apiError('NO_SUCH_CPUPOOL', `no cpupool has id or name "${ref}"`, { field: 'ref' });
  return found.id;
}

/** The versions a client read (the entity tags of If-Match, without quotes), or any version at all (`*`). */
export type ExpectedVersions = '*' | readonly string[];

export interface CurrentVersion {
  readonly version: number;
  /** The ref that names the resource for good (a domid, not a name a rename may change). */
  readonly ref: string;
}

export interface Versions {
  /** The resource's version now, or undefined when it does not exist (a ref that names no domain throws its 404). */
  current(kind: VersionedKind, ref: string): CurrentVersion | undefined;
  /** Throws 412 PRECONDITION_FAILED, naming the current version, unless the resource is at one of `expected`. */
  require(kind: VersionedKind, ref: string, expected: ExpectedVersions): void;
}

export function createVersions(state: ConfigState): Versions {
  const current = (kind: VersionedKind, ref: string): CurrentVersion | undefined => {
    const key = LOCATE[kind](state, ref);
    return key === undefined ? undefined : { version: state.versionOf(kind, key), ref: String(key) };
  };
  return {
    current,
    require(kind, ref, expected) {
      const now = current(kind, ref);
      if (now === undefined) {
        throw apiError('PRECONDITION_FAILED', `${kind === 'scheduling-domain' ? `domain ${ref} is not the master of a scheduling domain` : `${kind} ${ref} does not exist`}, so If-Match cannot hold`);
      }
      if (expected === '*' || expected.includes(String(now.version))) return;
      const what = DESCRIBE[kind](state, Number(now.ref));
      throw apiError(
        'PRECONDITION_FAILED',
        `${what} has changed since version ${expected.join(', ')}: it is at version ${now.version} now (ETag "${now.version}"); nothing was changed, read it again and retry`,
      );
    },
  };
}

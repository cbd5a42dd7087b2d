/**
 * The one dispatcher behind both transports: method name → handler, with
 * XenAPI's checks in XenAPI's order (method known, parameter count, session,
 * parameter types and refs), before the handler runs. Handlers translate to
 * control-layer calls; whatever they throw leaves as a XenAPI failure.
 */
import type { XenApiFailure } from './failure.ts';
import { failure, toFailure } from './failure.ts';
import { REF_PREFIX } from './values.ts';

/** The classes refs can name (`HANDLE_INVALID` names the class). */
export type XenClass = 'session' | 'pool' | 'host' | 'host_cpu' | 'cpu_pool' | 'VM' | 'VM_metrics' | 'task';

export type ParamType = 'string' | 'int' | 'float' | 'bool' | 'map' | 'strings' | 'record' | { readonly ref: XenClass; readonly nullable?: boolean };

export interface Param {
  readonly name: string;
  readonly type: ParamType;
}

/** Who is calling: for login (loopback without a token, the local socket always) and the session the call runs in. */
export interface Caller {
  readonly loopback: boolean;
  /** Through the daemon's Unix socket, whose file permissions decided who may connect. */
  readonly localSocket: boolean;
}

export interface Call extends Caller {
  readonly method: string;
  /** The session ref, for calls that take one. */
  readonly session: string;
}

export interface MethodSpec {
  /** The parameters after the session. */
  readonly params: readonly Param[];
  /** Default true: the first parameter is a session ref. */
  readonly session?: boolean;
  /** How many trailing parameters may be left out. */
  readonly optional?: number;
  readonly handler: (args: Args, call: Call) => unknown;
  /** How JSON-RPC writes a result (compiled serializers, or UTF-8 chunks already, for the large answers); JSON.stringify otherwise. */
  readonly json?: ((result: never) => string | readonly Buffer[]) | undefined;
}

/** What a ref resolves to: whatever the class's resolver returns, or undefined when it names nothing. */
export type Resolver = (ref: string) => unknown;

const INT_PATTERN = /^-?[0-9]{1,16}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value);

/** The decoded parameters (refs resolved), read by position with the type the method's spec gave them. */
export class Args {
  readonly values: readonly unknown[];
  readonly raw: readonly unknown[];
  constructor(values: readonly unknown[], raw: readonly unknown[]) {
    this.values = values;
    this.raw = raw;
  }
  str(i: number): string {
    return this.values[i] as string;
  }
  int(i: number): number {
    return this.values[i] as number;
  }
  bool(i: number): boolean {
    return this.values[i] as boolean;
  }
  map(i: number): Record<string, string> {
    return this.values[i] as Record<string, string>;
  }
  strings(i: number): string[] {
    return this.values[i] as string[];
  }
  record(i: number): Record<string, unknown> {
    return this.values[i] as Record<string, unknown>;
  }
  /** A resolved ref (the resolver's object), or undefined for a nullable ref given as OpaqueRef:NULL. */
  ref<T>(i: number): T {
    return this.values[i] as T;
  }
  has(i: number): boolean {
    return i < this.values.length;
  }
}

export interface Sessions {
  /** Throws SESSION_INVALID unless `ref` is a live session. */
  check(ref: unknown): string;
}

export class Dispatcher {
  private readonly methods = new Map<string, MethodSpec>();
  /** XAPI's other wire name of each method, an underscore in place of each period (`event_from`, `Async_VM_start`), → its name. */
  private readonly underscored = new Map<string, string>();
  private readonly resolvers = new Map<XenClass, Resolver>();
  private readonly sessions: Sessions;
  /** Told of every error that is not a XenAPI failure nor a control-layer refusal (a bug): the caller gets INTERNAL_ERROR. */
  onUnexpected: (error: unknown, method: string) => void = () => undefined;

  constructor(sessions: Sessions) {
    this.sessions = sessions;
  }

  add(name: string, spec: MethodSpec): void {
    if (this.methods.has(name)) throw new Error(`XenAPI method ${name} defined twice`);
    this.methods.set(name, spec);
    // Python clients cannot write `event.from` (`from` is a keyword), so XAPI takes `event_from` too.
    const other = name.replaceAll('.', '_');
    if (this.underscored.has(other) || this.methods.has(other)) throw new Error(`XenAPI method ${name}'s wire name ${other} is taken`);
    this.underscored.set(other, name);
  }

  /** A method by either of its wire names. */
  spec(name: string): MethodSpec | undefined {
    return this.methods.get(name) ?? this.methods.get(this.underscored.get(name) ?? '');
  }

  resolver(cls: XenClass, resolve: Resolver): void {
    this.resolvers.set(cls, resolve);
  }

  /** Every method, sorted (system.listMethods). */
  names(): string[] {
    return [...this.methods.keys()].sort();
  }

  /** Run `method`: its result, or a XenApiFailure (nothing else is thrown). */
  async call(method: string, params: readonly unknown[], caller: Caller): Promise<unknown> {
    const spec = this.spec(method);
    if (spec === undefined) throw failure('MESSAGE_METHOD_UNKNOWN', method);
    const withSession = spec.session !== false;
    const expected = spec.params.length + (withSession ? 1 : 0);
    const optional = spec.optional ?? 0;
    if (params.length > expected || params.length < expected - optional) {
      throw failure('MESSAGE_PARAMETER_COUNT_MISMATCH', method, String(expected), String(params.length));
    }
    const session = withSession ? this.sessions.check(params[0]) : '';
    const raw = withSession ? params.slice(1) : params;
    const values = raw.map((value, i) => this.decode(spec.params[i]!, value));
    const vm = spec.params.findIndex((p) => typeof p.type === 'object' && p.type.ref === 'VM');
    try {
      return await spec.handler(new Args(values, raw), { ...caller, method, session });
    } catch (error) {
      const result = toFailure(error, vm === -1 ? undefined : (raw[vm] as string));
      if (result.unexpected) this.onUnexpected(error, method);
      throw result;
    }
  }

  private decode(param: Param, value: unknown): unknown {
    const { type } = param;
    const wrongType = (): XenApiFailure => failure('FIELD_TYPE_ERROR', param.name);
    if (typeof type === 'object') {
      if (typeof value !== 'string' || !value.startsWith(REF_PREFIX)) throw wrongType();
      if (type.nullable === true && value === `${REF_PREFIX}NULL`) return undefined;
      const resolved = this.resolvers.get(type.ref)?.(value);
      if (resolved === undefined) throw failure('HANDLE_INVALID', type.ref, value);
      return resolved;
    }
    switch (type) {
      case 'string':
        if (typeof value !== 'string') throw wrongType();
        return value;
      case 'int': {
        // XML-RPC carries 64-bit ints as strings.
        const n = typeof value === 'string' && INT_PATTERN.test(value) ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw wrongType();
        return n;
      }
      case 'float': {
        const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw wrongType();
        return n;
      }
      case 'bool':
        if (typeof value !== 'boolean') throw wrongType();
        return value;
      case 'map':
        if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) throw wrongType();
        return value;
      case 'strings':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw wrongType();
        return value;
      case 'record':
        if (!isRecord(value)) throw wrongType();
        return value;
    }
  }
}

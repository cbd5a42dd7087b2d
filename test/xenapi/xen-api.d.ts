/** The parts of Xen Orchestra's `xen-api` client (it ships no types) the tests use. */
declare module 'xen-api' {
  import type { EventEmitter } from 'node:events';

  export interface XapiObject {
    readonly $ref: string;
    readonly $type: string;
    readonly [field: string]: unknown;
  }

  export interface Xapi extends EventEmitter {
    readonly status: string;
    readonly pool: XapiObject;
    readonly objects: EventEmitter & { readonly all: Record<string, XapiObject> };
    readonly objectsFetched: Promise<void>;
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    call(method: string, ...args: unknown[]): Promise<unknown>;
    callAsync(method: string, ...args: unknown[]): Promise<unknown>;
    getObjectByRef(ref: string, defaultValue?: unknown): XapiObject;
  }

  export function createClient(options: {
    url: string;
    auth: { user: string; password: string };
    transport?: 'auto' | 'json-rpc' | 'xml-rpc';
    allowUnauthorized?: boolean;
    watchEvents?: boolean | string[];
    eventPollDelay?: number;
    debounce?: number;
  }): Xapi;
}

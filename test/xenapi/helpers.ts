/** A daemon listening on a loopback port for the Xen API clients (frozen clock; closed when the test ends). */
import type { TestContext } from 'node:test';
import type { DaemonOptions } from '../../src/daemon.ts';
import { build, type TestDaemon } from '../helpers.ts';

export async function listening(t: TestContext, options: Partial<DaemonOptions> = {}): Promise<TestDaemon & { url: string }> {
  const daemon = await build(t, { pcpus: 2, ...options });
  const url = await daemon.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...daemon, url };
}

/** A JSON-RPC call through inject: the whole response body. */
export async function jsonRpc(daemon: TestDaemon, method: string, params: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string; data: string[] } }> {
  const reply = await daemon.request('POST', '/jsonrpc', JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }), { 'content-type': 'application/json' });
  return reply.body;
}

/** One record of an event.from or event.next answer. */
export interface EventRecord {
  class: string;
  operation: string;
  ref: string;
  snapshot?: Record<string, unknown>;
}
/** An event.from answer (valid_ref_counts are strings over XML-RPC). */
export interface From {
  events: EventRecord[];
  valid_ref_counts: Record<string, number | string>;
  token: string;
}

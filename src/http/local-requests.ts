/** Which requests came through the daemon's Unix socket (src/http/local-socket.ts), where the socket file's permissions were the check. */
import type { IncomingMessage } from 'node:http';

const local = new WeakSet<IncomingMessage>();

export const markLocal = (request: IncomingMessage): void => void local.add(request);

export const viaLocalSocket = (request: IncomingMessage): boolean => local.has(request);

/** The client's address, for per-client limits and logs: a Unix socket has none, so its clients count as one, `local`. */
export const clientOf = (request: { readonly raw: IncomingMessage; readonly ip: string }): string => (local.has(request.raw) ? 'local' : request.ip);

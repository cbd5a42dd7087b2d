/**
 * The daemon on a Unix domain socket, as xend and the Docker daemon serve
 * their local clients: the same app as on TCP, with access governed by the
 * socket file's permissions (mode 0660, the daemon's user and group), so no
 * bearer token is asked there, and no Host or Origin check (a web page cannot
 * reach a Unix socket). A socket file left by a crash is replaced; one that a
 * live process listens on is not.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { clientErrorHandler } from './error-handler.ts';
import { markLocal } from './local-requests.ts';

/** Owner and group may read and write (connect); others nothing. */
export const LOCAL_SOCKET_MODE = 0o660;
/** The longest socket path Linux takes (sun_path holds 108 bytes with the terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Thrown when the socket path cannot be used; the message names the path and the problem. */
export class LocalSocketError extends Error {}

/** Does a process accept connections on the socket at `path`? */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(false);
      else reject(new LocalSocketError(`socket ${path} cannot be checked (${error.code ?? error.message})`));
    });
  });
}

/** Clear the way for a new socket at `path`: nothing there, or a stale socket (removed); anything else is refused. */
async function clearStale(path: string): Promise<void> {
  let stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isSocket()) throw new LocalSocketError(`${path} exists and is not a socket; not replacing it`);
  if (await isLive(path)) throw new LocalSocketError(`socket ${path} is in use: another daemon listens on it`);
  unlinkSync(path);
}

export interface LocalListener {
  /** Stop accepting; resolves once its connections have ended (idle ones at once, the rest when `force` ends them). */
  close(force?: boolean): Promise<void>;
}

/** Serve `app` on a Unix domain socket at `path`, created mode 0660 (no moment with wider permissions). */
export async function listenLocal(app: FastifyInstance, path: string): Promise<LocalListener> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) throw new LocalSocketError(`socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
  await clearStale(path);
  const server = createServer((request, response) => {
    markLocal(request);
    app.routing(request, response);
  });
  server.on('clientError', clientErrorHandler);
  const umask = process.umask(0o777 & ~LOCAL_SOCKET_MODE);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(path, LOCAL_SOCKET_MODE);
  const closed = new Promise<void>((resolve) => server.once('close', resolve));
  return {
    close(force = false) {
      if (server.listening) server.close();
      server.closeIdleConnections();
      if (force) server.closeAllConnections();
      return closed;
    },
  };
}

/**
 * The daemon's published HTTP API, as this page uses it. The bearer token, when
 * the daemon needs one, is asked once and kept in sessionStorage: this tab only,
 * gone when it closes, never in a URL (so never in logs, history or a Referer).
 */
const TOKEN_KEY = 'nemesis.token';
export const API = '/api/v1';

/** An error the server (or the network) gave, in words a person can act on. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status 0 when the daemon did not answer
   * @param {string} [code]
   */
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** @type {(() => Promise<string>) | undefined} */
let askToken;

/** @param {() => Promise<string>} ask shows the token dialog and resolves with what was typed */
export function onTokenNeeded(ask) {
  askToken = ask;
}

/** @returns {Record<string, string>} */
export function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/** Asks for the token (once at a time) and keeps it for the tab. */
let asking;
export async function requestToken() {
  if (askToken === undefined) throw new ApiError('This daemon needs a bearer token.', 401);
  asking ??= askToken().finally(() => { asking = undefined; });
  const token = await asking;
  sessionStorage.setItem(TOKEN_KEY, token);
}

/**
 * The server's `{ statusCode, code, message }` body as a sentence.
 * @param {Response} response
 */
async function errorOf(response) {
  let body;
  try { body = await response.json(); } catch { body = undefined; }
  const message = typeof body?.message === 'string' ? body.message : `the daemon answered ${response.status} ${response.statusText}`;
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  return new ApiError(sentence.endsWith('.') ? sentence : `${sentence}.`, response.status, body?.code);
}

/**
 * One request; JSON in and out, with the answer's ETag (the version of what
 * it names). A mutation without a body sends no content type. `ifMatch` is the
 * version the user saw: the change is made only if nobody changed it since,
 * else the daemon answers 412 (an ApiError with code PRECONDITION_FAILED).
 * @param {'GET'|'POST'|'PUT'|'PATCH'|'DELETE'} method
 * @param {string} path under /api/v1
 * @param {unknown} [body]
 * @param {{ ifMatch?: number }} [options]
 * @returns {Promise<{ body: any, etag: string | null }>}
 */
export async function request(method, path, body, options = {}) {
  for (;;) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json', ...authHeaders() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    let response;
    try {
      response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError('The daemon did not answer; is it running?', 0);
    }
    if (response.status === 401 && askToken !== undefined) {
      await requestToken();
      continue;
    }
    if (!response.ok) throw await errorOf(response);
    return { body: response.status === 204 ? undefined : await response.json(), etag: response.headers.get('etag') };
  }
}

/**
 * `request`'s body alone.
 * @param {'GET'|'POST'|'PUT'|'PATCH'|'DELETE'} method
 * @param {string} path under /api/v1
 * @param {unknown} [body]
 * @param {{ ifMatch?: number }} [options]
 * @returns {Promise<any>}
 */
export async function call(method, path, body, options) {
  return (await request(method, path, body, options)).body;
}

/** @param {string | null} etag `"7"` or `W/"7"` @returns {number | undefined} the version it names */
export function versionOf(etag) {
  const match = /"([0-9]+)"/.exec(etag ?? '');
  return match === null ? undefined : Number(match[1]);
}

/** @param {unknown} error @returns {boolean} whether it is a 412: someone else changed what the user saw */
export const isConflict = (error) => error instanceof ApiError && error.status === 412;

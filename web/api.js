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
 * One request; JSON in and out. A mutation without a body sends no content type.
 * @param {'GET'|'POST'|'PUT'|'PATCH'|'DELETE'} method
 * @param {string} path under /api/v1
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function call(method, path, body) {
  for (;;) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json', ...authHeaders() };
    if (body !== undefined) headers['content-type'] = 'application/json';
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
    return response.status === 204 ? undefined : response.json();
  }
}

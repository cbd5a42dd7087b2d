/**
 * The daemon's event stream read with fetch, not EventSource: EventSource
 * cannot send an Authorization header, and a token in the URL would end up in
 * logs and history. The response body is parsed as text/event-stream here; a
 * dropped stream is reopened with Last-Event-ID so no change is missed.
 */
import { API, authHeaders, requestToken } from './api.js';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;

/**
 * @typedef {{ id: string | undefined, type: string, data: string }} StreamEvent
 */

/**
 * Splits text/event-stream into events. Feed it chunks as they come; it keeps
 * the incomplete tail for the next chunk.
 * @param {(event: StreamEvent) => void} emit
 */
export function createEventParser(emit) {
  let buffer = '';
  /** @type {string | undefined} */ let id;
  let type = '';
  /** @type {string[]} */ let data = [];
  /** @param {string} line */
  const take = (line) => {
    if (line === '') {
      if (data.length > 0) emit({ id, type: type === '' ? 'message' : type, data: data.join('\n') });
      type = '';
      data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  };
  /** @param {string} chunk */
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) take(line);
  };
}

/**
 * Keeps one stream open until `stop()`: reconnects by itself after a drop,
 * telling `onState` so the page can show and hide its banner.
 * @param {{
 *   query: string,
 *   onEvent: (event: StreamEvent) => void,
 *   onState: (state: 'open' | 'lost', detail?: string) => void,
 * }} options
 */
export function openEventStream({ query, onEvent, onState }) {
  const controller = new AbortController();
  /** @type {string | undefined} */ let lastId;
  let delay = RETRY_MIN_MS;

  const once = async () => {
    /** @type {Record<string, string>} */
    const headers = { accept: 'text/event-stream', ...authHeaders() };
    if (lastId !== undefined) headers['last-event-id'] = lastId;
    const response = await fetch(`${API}/events${query}`, { headers, signal: controller.signal, cache: 'no-store' });
    if (response.status === 401) {
      await requestToken();
      return undefined; // try again at once, with the token
    }
    if (!response.ok || response.body === null) return `the daemon answered ${response.status}`;
    onState('open');
    delay = RETRY_MIN_MS;
    const parse = createEventParser((event) => {
      if (event.id !== undefined) lastId = event.id;
      onEvent(event);
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'the daemon closed the stream';
      parse(value);
    }
  };

  const loop = async () => {
    while (!controller.signal.aborted) {
      let reason;
      try {
        reason = await once();
      } catch {
        reason = 'the connection to the daemon dropped';
      }
      if (controller.signal.aborted) return;
      if (reason === undefined) continue;
      onState('lost', reason);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  };
  void loop();
  return { stop: () => controller.abort() };
}

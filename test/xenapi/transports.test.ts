/**
 * The transports themselves: exact content types (Xen Orchestra's client
 * compares them as strings), refused documents (too large, too deep,
 * entities), and the daemon's cross-site protection on the new endpoints.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';
import { listening } from './helpers.ts';

const call = (method: string, values = '') =>
  `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${values}</params></methodCall>`;
const XML = { 'content-type': 'text/xml' };

/** `depth` arrays, one inside the other, as one parameter. */
const nested = (depth: number): string =>
  `<param><value>${'<array><data><value>'.repeat(depth)}x${'</value></data></array>'.repeat(depth)}</value></param>`;

/**
 * Send only the headers of a POST announcing `length` bytes, and read the
 * answer: it can only come before the body if the length alone was refused.
 */
async function answerToHeaders(port: number, url: string, type: string, length: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const socket = connect(port, '127.0.0.1');
  // A server that waits for the body never answers: fail rather than wait for the suite's timeout.
  socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to the headers of POST ${url} within 10 s`)));
  socket.write(`POST ${url} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`);
  socket.setEncoding('utf8');
  let text = '';
  try {
    for await (const chunk of socket) {
      text += chunk as string;
      const end = text.indexOf('\r\n\r\n');
      const bodyLength = Number(/^content-length: (\d+)$/im.exec(text.slice(0, end))?.[1]);
      if (end >= 0 && text.length - end - 4 >= bodyLength) break;
    }
  } finally {
    socket.destroy();
  }
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body: JSON.parse(body) as Record<string, unknown> };
}

describe('XenAPI transports', () => {
  it('answer with exactly application/json on /jsonrpc and text/xml on / and /xmlrpc', async (t) => {
    const daemon = await build(t);
    const json = await daemon.request('POST', '/jsonrpc', JSON.stringify({ jsonrpc: '2.0', id: 'a', method: 'system.listMethods', params: [] }), { 'content-type': 'application/json' });
    assert.equal(json.headers['content-type'], 'application/json');
    assert.equal(json.body.id, 'a');
    assert.ok(json.body.result.includes('VM.get_all_records'));
    for (const url of ['/', '/xmlrpc']) {
      const xml = await daemon.request('POST', url, call('system.listMethods'), XML);
      assert.equal(xml.status, 200);
      assert.equal(xml.headers['content-type'], 'text/xml');
      assert.match(xml.body, /^<\?xml version="1.0"\?><methodResponse><params><param><value><struct><member><name>Status<\/name><value><string>Success<\/string>/);
    }
    // The dashboard still answers GET /.
    const page = await daemon.request('GET', '/');
    assert.match(String(page.headers['content-type']), /^text\/html/);
  });

  it('refuse a document announced larger than the limit with 413 before a byte of it is sent', async (t) => {
    const daemon = await listening(t);
    const { port } = new URL(daemon.url);
    for (const [url, type] of [['/', 'text/xml'], ['/xmlrpc', 'text/xml'], ['/jsonrpc', 'application/json']] as const) {
      const answer = await answerToHeaders(Number(port), url, type, 64 * 1024 * 1024);
      assert.deepEqual([answer.status, answer.body['code']], [413, 'PAYLOAD_TOO_LARGE'], `${url}: ${JSON.stringify(answer.body)}`);
    }
  });

  it('refuse oversized documents sent whole (413)', async (t) => {
    const daemon = await build(t);
    const padding = 'x'.repeat(1024 * 1024);
    const xml = await daemon.request('POST', '/', call('system.listMethods', `<param><value>${padding}</value></param>`), XML);
    assert.equal(xml.status, 413);
    const json = await daemon.request('POST', '/jsonrpc', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system.listMethods', params: [padding] }), { 'content-type': 'application/json' });
    assert.equal(json.status, 413);
  });

  it('refuse deeply nested documents (with a Failure), and take the deepest that is allowed', async (t) => {
    const daemon = await build(t);
    const deep = await daemon.request('POST', '/', call('system.listMethods', nested(33)), XML);
    // A Failure like any other (XenAPI.py raises it as one), not an HTTP error.
    assert.equal(deep.status, 200);
    assert.equal(deep.headers['content-type'], 'text/xml');
    assert.match(deep.body, /<string>XMLRPC_UNMARSHAL_FAILURE<\/string>.*nest deeper than 32/);
    // 32 levels parse: the call then fails on its own terms.
    const allowed = await daemon.request('POST', '/', call('system.listMethods', nested(32)), XML);
    assert.equal(allowed.status, 200);
    assert.match(allowed.body, /MESSAGE_PARAMETER_COUNT_MISMATCH/);
  });

  it('refuse entity declarations (billion laughs) and documents that are not XML-RPC (with a Failure); the predefined entities still decode', async (t) => {
    const daemon = await build(t);
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>${call('VM.get_by_name_label', '<param><value>&lol2;</value></param>')}`;
    for (const body of [laughs, '<methodCall><methodName>x</methodName><params><param><value><bogus/></value></param></params></methodCall>', 'not xml at all']) {
      const answer = await daemon.request('POST', '/', body, XML);
      assert.equal(answer.status, 200, body);
      assert.match(answer.body, /<string>Failure<\/string>.*XMLRPC_UNMARSHAL_FAILURE/);
    }
    const login = await daemon.request('POST', '/', call('session.login_with_password', '<param><value>root</value></param><param><value></value></param>'), XML);
    const session = /<name>Value<\/name><value><string>([^<]+)<\/string>/.exec(login.body)?.[1];
    assert.ok(session);
    const escaped = await daemon.request('POST', '/', call('VM.get_record', `<param><value>${session}</value></param><param><value>OpaqueRef:a&amp;b</value></param>`), XML);
    assert.match(escaped.body, /<string>HANDLE_INVALID<\/string><\/value><value><string>VM<\/string><\/value><value><string><!\[CDATA\[OpaqueRef:a&b\]\]><\/string>/);
  });

  it('keep the cross-site protection: other origins are refused, and text/plain (no preflight) is not read', async (t) => {
    const daemon = await build(t);
    const fromPage = await daemon.request('POST', '/', call('system.listMethods'), { ...XML, origin: 'http://evil.example' });
    assert.equal(fromPage.status, 403);
    assert.equal(fromPage.body.code, 'ORIGIN_NOT_ALLOWED');
    const rebinding = await daemon.request('POST', '/jsonrpc', '{}', { 'content-type': 'application/json', host: 'evil.example' });
    assert.equal(rebinding.status, 403);
    for (const url of ['/', '/jsonrpc', '/xmlrpc']) {
      const simple = await daemon.request('POST', url, call('system.listMethods'), { 'content-type': 'text/plain' });
      assert.equal(simple.status, 415, url);
    }
    // Each transport reads its own content type only.
    assert.equal((await daemon.request('POST', '/', '{}', { 'content-type': 'application/json' })).body.code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.equal((await daemon.request('POST', '/jsonrpc', call('system.listMethods'), XML)).body.code, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

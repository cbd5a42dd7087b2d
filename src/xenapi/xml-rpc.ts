/**
 * XML-RPC as XenAPI speaks it, through the `xmlrpc` package's serializer and
 * deserializer (its sax-based parser expands no entities). Documents are
 * refused before parsing when they declare a DTD or entities, or nest
 * deeper than any XenAPI call needs; the route's body limit bounds the size.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import xmlrpc from 'xmlrpc';
import { XenDateTime, XenFloat } from './values.ts';

interface Deserializer {
  deserializeMethodCall(stream: Readable, callback: (error: Error | null | undefined, method: string, params: unknown[]) => void): void;
}

const require = createRequire(import.meta.url);
const serializer = require('xmlrpc/lib/serializer.js') as { serializeMethodResponse(value: unknown): string };
const DeserializerClass = require('xmlrpc/lib/deserializer.js') as new () => Deserializer;

/** Request bodies above this are refused (413) before they are read whole. */
export const MAX_XML_BYTES = 1024 * 1024;
/** Arrays and structs nested deeper than this are refused: XenAPI's deepest parameter (a record of maps) needs 3. */
export const MAX_XML_DEPTH = 32;

class DoubleValue extends xmlrpc.CustomType {
  override tagName = 'double';
}

class DateTimeValue extends xmlrpc.CustomType {
  override tagName = 'dateTime.iso8601';
}

export class XmlRpcRefused extends Error {}

/** Why a document is refused before parsing, or null. */
function refusal(xml: string): string | null {
  // `<!DOCTYPE`, `<!ENTITY` and the like: XML-RPC needs none, and entities are the expansion attacks' vehicle.
  if (/<!(?!\[CDATA\[)/.test(xml)) return 'document type declarations and entities are not accepted';
  let depth = 0;
  for (const match of xml.matchAll(/<(\/?)(struct|array)\s*>/gi)) {
    depth += match[1] === '/' ? -1 : 1;
    if (depth > MAX_XML_DEPTH) return `arrays and structs nest deeper than ${MAX_XML_DEPTH}`;
  }
  return null;
}

/** A methodCall's name and parameters; throws XmlRpcRefused for a document it will not read or cannot. */
export function parseCall(xml: string): Promise<{ method: string; params: unknown[] }> {
  const problem = refusal(xml);
  if (problem !== null) return Promise.reject(new XmlRpcRefused(problem));
  return new Promise((resolve, reject) => {
    new DeserializerClass().deserializeMethodCall(Readable.from(Buffer.from(xml, 'utf8')), (error, method, params) => {
      if (error) reject(new XmlRpcRefused(error.message.split('\n')[0]));
      else resolve({ method, params });
    });
  });
}

/** A result as XenAPI writes it in XML-RPC: ints as strings, floats as doubles, dates as dateTime.iso8601. */
export function toXmlValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : new DoubleValue(String(value));
  if (value instanceof XenFloat) return new DoubleValue(String(value.value));
  if (value instanceof XenDateTime) return new DateTimeValue(value.toJSON());
  if (Array.isArray(value)) return value.map(toXmlValue);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = toXmlValue(v);
    return out;
  }
  return value;
}

export const writeResponse = (value: unknown): string => serializer.serializeMethodResponse(toXmlValue(value));

/** One value's XML (`<value>…</value>`), as a task's `result` holds it. */
export function valueXml(value: unknown): string {
  const response = writeResponse(value);
  return response.slice(response.indexOf('<param>') + '<param>'.length, response.lastIndexOf('</param>'));
}

/**
 * xl domain configuration files (xl.cfg(5)): `key = value` settings, values a
 * "string", a number or a [list], `#` comments. The keys the simulated host has a
 * meaning for are taken; every other key (disk, vif, kernel, ...) is reported as
 * ignored, so an existing guest's config can be brought over as it is.
 */
import { CliError } from './errors.ts';

export type XlValue = string | number | XlValue[];

const TOKEN = /\s*(?:(#[^\n]*)|("(?:[^"\\\n]|\\.)*"|'[^'\n]*')|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([=[\],;\n])|(\S))/y;

interface Token {
  readonly kind: 'string' | 'number' | 'word' | 'punct';
  readonly text: string;
  readonly line: number;
}

function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(source); match !== null && match[0] !== ''; match = TOKEN.exec(source)) {
    const [, comment, string, number, word, punct, other] = match;
    const at = line;
    line += (match[0].match(/\n/g) ?? []).length;
    if (comment !== undefined) continue;
    if (other !== undefined) throw new CliError(`${file}:${at}: unexpected "${other}"`);
    if (string !== undefined) tokens.push({ kind: 'string', text: string.slice(1, -1).replace(/\\(.)/g, '$1'), line: at });
    else if (number !== undefined) tokens.push({ kind: 'number', text: number, line: at });
    else if (word !== undefined) tokens.push({ kind: 'word', text: word, line: at });
    else if (punct !== undefined) tokens.push({ kind: 'punct', text: punct, line: at });
  }
  return tokens;
}

/** Every `key = value` of the file, in order (a later setting of a key wins). */
export function parseXlConfig(source: string, file: string): Map<string, XlValue> {
  const tokens = tokenize(source, file);
  const settings = new Map<string, XlValue>();
  let i = 0;
  const fail = (what: string): never => {
    const token = tokens[Math.min(i, tokens.length - 1)];
    throw new CliError(`${file}:${token?.line ?? 1}: ${what}`);
  };
  const skipNewlines = () => {
    while (tokens[i]?.text === '\n') i++;
  };
  const value = (): XlValue => {
    const token = tokens[i++];
    if (token === undefined) return fail('a value is missing');
    if (token.kind === 'string') return token.text;
    if (token.kind === 'number') return Number(token.text);
    if (token.text !== '[') return fail(`"${token.text}" is not a value`);
    const items: XlValue[] = [];
    for (skipNewlines(); tokens[i]?.text !== ']'; skipNewlines()) {
      items.push(value());
      skipNewlines();
      if (tokens[i]?.text === ',') i++;
      else if (tokens[i]?.text !== ']') fail('expected "," or "]" in a list');
    }
    i++;
    return items;
  };
  while (i < tokens.length) {
    const token = tokens[i];
    if (token?.text === '\n' || token?.text === ';') {
      i++;
      continue;
    }
    if (token?.kind !== 'word') fail(`expected a setting name, found "${token?.text}"`);
    i++;
    if (tokens[i++]?.text !== '=') fail(`expected "=" after ${token?.text}`);
    settings.set(token?.text as string, value());
  }
  return settings;
}

/** The domain a config describes, in the API's terms, and what was left out. */
export interface XlDomain {
  readonly fields: {
    name?: string;
    vcpus?: number;
    max_vcpus?: number;
    memory_mb?: number;
    weight?: number;
    cap?: number;
  };
  /** `cpus`: one CPU list for every vCPU (a string), or one per vCPU (a list). */
  readonly cpus?: string | readonly string[];
  readonly ignored: readonly string[];
}

const NUMERIC_KEYS = { vcpus: 'vcpus', maxvcpus: 'max_vcpus', memory: 'memory_mb', cpu_weight: 'weight', cap: 'cap' } as const;

export function xlDomain(settings: Map<string, XlValue>, file: string): XlDomain {
  const fields: XlDomain['fields'] = {};
  const ignored: string[] = [];
  let cpus: string | string[] | undefined;
  for (const [key, value] of settings) {
    if (key === 'name') {
      if (typeof value !== 'string') throw new CliError(`${file}: name must be a string`);
      fields.name = value;
    } else if (key in NUMERIC_KEYS) {
      const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isInteger(number)) throw new CliError(`${file}: ${key} must be a whole number`);
      fields[NUMERIC_KEYS[key as keyof typeof NUMERIC_KEYS]] = number;
    } else if (key === 'cpus') {
      cpus = Array.isArray(value) ? value.map((item) => String(item)) : String(value);
    } else {
      ignored.push(key);
    }
  }
  return cpus === undefined ? { fields, ignored } : { fields, cpus, ignored };
}

/**
 * XAPI's filter expressions, as `get_all_records_where` takes them:
 * `field "power_state" = "Running" and not (field "name_label" = "x")`.
 * The grammar is XAPI's: `=` between two values (a quoted literal or
 * `field "<name>"`), `true`, `false`, parentheses, `and` and `or` of equal
 * precedence, left to right, and `not`, which binds everything after it
 * (`not a and b` is `not (a and b)`). Values compare as strings, in the form
 * XAPI's database keeps them.
 */
import { failure, type XenApiFailure } from './failure.ts';
import { XenDateTime, XenFloat } from './values.ts';

type Value = { readonly field: string } | { readonly literal: string };

export type FilterExpr =
  | { readonly op: 'true' | 'false' }
  | { readonly op: 'not'; readonly expr: FilterExpr }
  | { readonly op: 'and' | 'or'; readonly left: FilterExpr; readonly right: FilterExpr }
  | { readonly op: 'eq'; readonly left: Value; readonly right: Value };

const TOKEN = /\s*(?:(=|\(|\)|true\b|false\b|field\b|and\b|or\b|not\b)|"([^"]*)")/y;

/** The expression's tokens: keywords and punctuation as themselves, literals as `{ literal }`. */
function tokenize(text: string, refused: (why: string) => XenApiFailure): Array<string | { literal: string }> {
  const tokens: Array<string | { literal: string }> = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length && text.slice(TOKEN.lastIndex).trim() !== '') {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (match === null) throw refused(`unexpected text at character ${at + 1}: ${JSON.stringify(text.slice(at).trim().slice(0, 20))}`);
    tokens.push(match[1] ?? { literal: match[2]! });
  }
  return tokens;
}

/** Parse `text`; a malformed expression is INVALID_VALUE (expression, why), as XAPI answers it. */
export function parseFilter(text: string): FilterExpr {
  const refused = (why: string): XenApiFailure => failure('INVALID_VALUE', text, why);
  const tokens = tokenize(text, refused);
  let at = 0;
  const peek = (): string | { literal: string } | undefined => tokens[at];
  const expect = (token: string): void => {
    if (peek() !== token) throw refused(`expected ${token} at token ${at + 1}`);
    at += 1;
  };
  const value = (): Value => {
    const token = tokens[at++];
    if (typeof token === 'object') return token;
    const name = tokens[at++];
    if (token === 'field' && typeof name === 'object') return { field: name.literal };
    throw refused(`expected a quoted value or field "<name>" at token ${at - 1}`);
  };
  const operand = (): FilterExpr => {
    const token = peek();
    if (token === 'not') {
      at += 1;
      return { op: 'not', expr: expr() };
    }
    if (token === 'true' || token === 'false') {
      at += 1;
      return { op: token };
    }
    if (token === '(') {
      at += 1;
      const inner = expr();
      expect(')');
      return inner;
    }
    const left = value();
    expect('=');
    return { op: 'eq', left, right: value() };
  };
  const expr = (): FilterExpr => {
    let left = operand();
    for (let token = peek(); token === 'and' || token === 'or'; token = peek()) {
      at += 1;
      left = { op: token, left, right: operand() };
    }
    return left;
  };
  const parsed = expr();
  if (at !== tokens.length) throw refused(`unexpected token ${at + 1}`);
  return parsed;
}

const quoted = (s: string): string => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** A field's value as XAPI's database holds it: sets and maps as S-expressions, `('a' 'b')` and `(('k' 'v'))`. */
export function storedForm(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof XenFloat) return String(value.value);
  if (value instanceof XenDateTime) return value.toJSON();
  if (Array.isArray(value)) return `(${value.map((v) => quoted(storedForm(v))).join(' ')})`;
  if (typeof value === 'object' && value !== null) {
    return `(${Object.entries(value).map(([k, v]) => `(${quoted(k)} ${quoted(storedForm(v))})`).join(' ')})`;
  }
  return '';
}

/** The fields an expression reads (for checking them against the class before any record is read). */
export function fieldsOf(expr: FilterExpr): string[] {
  switch (expr.op) {
    case 'true':
    case 'false':
      return [];
    case 'not':
      return fieldsOf(expr.expr);
    case 'and':
    case 'or':
      return [...fieldsOf(expr.left), ...fieldsOf(expr.right)];
    case 'eq':
      return [expr.left, expr.right].flatMap((v) => ('field' in v ? [v.field] : []));
  }
}

/** Does `record` match? (Its fields were checked with fieldsOf.) */
export function matches(expr: FilterExpr, record: Readonly<Record<string, unknown>>): boolean {
  const read = (value: Value): string => ('literal' in value ? value.literal : storedForm(record[value.field]));
  switch (expr.op) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'not':
      return !matches(expr.expr, record);
    case 'and':
      return matches(expr.left, record) && matches(expr.right, record);
    case 'or':
      return matches(expr.left, record) || matches(expr.right, record);
    case 'eq':
      return read(expr.left) === read(expr.right);
  }
}

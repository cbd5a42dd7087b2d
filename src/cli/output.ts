/** What the tool prints: borderless tables like xl's, key/value blocks, JSON for scripts, colour only on a terminal. */
import { styleText } from 'node:util';
import Table from 'cli-table3';

export interface Output {
  readonly json: boolean;
  readonly colour: boolean;
  write(text: string): void;
  /** Warnings (stderr): never mixed into what scripts read. */
  warn(text: string): void;
}

/** Colour on a terminal only, and never with NO_COLOR set (https://no-color.org). */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] ?? '') === '';
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ',
};

export type Align = 'left' | 'right';
export interface Column {
  readonly title: string;
  readonly align?: Align;
}

/** Columns separated by spaces, headers bold on a terminal, numbers right-aligned. */
export function table(out: Output, columns: readonly Column[], rows: readonly (readonly (string | number)[])[]): string {
  const t = new Table({
    head: columns.map((c) => (out.colour ? styleText('bold', c.title, { validateStream: false }) : c.title)),
    colAligns: columns.map((c) => c.align ?? 'left'),
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 1, compact: true },
  });
  for (const row of rows) t.push(row.map(String));
  return `${t.toString().split('\n').map((line) => line.trimEnd()).join('\n')}\n`;
}

/** `key: value` lines, keys padded to one width (like `xl info`). */
/** `key : value` lines, aligned; an undefined value (a field another policy has) leaves its line out. */
export function keyValues(entries: readonly (readonly [string, string | number | boolean | undefined])[]): string {
  const shown = entries.filter((entry): entry is readonly [string, string | number | boolean] => entry[1] !== undefined);
  const width = Math.max(...shown.map(([key]) => key.length));
  return shown.map(([key, value]) => `${key.padEnd(width)} : ${value}\n`).join('');
}

export function printJson(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

const STATE_STYLES: Record<string, Parameters<typeof styleText>[0]> = {
  running: 'green',
  runnable: 'cyan',
  paused: 'yellow',
  blocked: 'blue',
  halted: 'dim',
  offline: 'dim',
};

export function state(out: Output, value: string): string {
  const style = STATE_STYLES[value];
  return out.colour && style !== undefined ? styleText(style, value, { validateStream: false }) : value;
}

/** Nanoseconds as seconds with one decimal, as `xl list` shows Time(s). */
export const seconds = (ns: number): string => (ns / 1e9).toFixed(1);

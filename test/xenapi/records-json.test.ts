/**
 * The reusing writer of get_all_records: whatever sequence of record maps it
 * is given, each answer is exactly what JSON.stringify writes for that map,
 * reused entries included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { reusingRecordsJson } from '../../src/xenapi/records-json.ts';

type RecordLike = { name_label: string; domid: number; VCPUs_params: Record<string, string>; VIFs: string[] };

const text = (chunks: readonly Buffer[]): string => Buffer.concat(chunks).toString('utf8');

describe('reusingRecordsJson', () => {
  it('answers every map exactly as JSON.stringify does, across changes, additions and removals', () => {
    const record = fc.record({
      name_label: fc.string({ unit: 'grapheme', maxLength: 6 }),
      domid: fc.integer({ min: -1, max: 3 }),
      VCPUs_params: fc.dictionary(fc.constantFrom('weight', 'cap'), fc.constantFrom('0', '256', '512')),
      VIFs: fc.array(fc.constantFrom('a', 'b'), { maxLength: 2 }),
    });
    // Few refs and few values, so maps repeat refs with equal and with changed records.
    const maps = fc.array(fc.dictionary(fc.constantFrom('OpaqueRef:1', 'OpaqueRef:2', 'OpaqueRef:3'), record), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(maps, (sequence) => {
        const write = reusingRecordsJson<RecordLike>((r) => JSON.stringify(r));
        for (const map of sequence) assert.equal(text(write(map)), JSON.stringify(map));
      }),
      { seed: Number(process.env['FC_SEED'] ?? 14), numRuns: 300 },
    );
  });

  it('writes an unchanged record once, and a changed or returning one again', () => {
    const written: string[] = [];
    const write = reusingRecordsJson<{ n: number }>((r) => (written.push(String(r.n)), JSON.stringify(r)));
    write({ a: { n: 1 }, b: { n: 2 } });
    write({ a: { n: 1 }, b: { n: 3 } });
    write({ b: { n: 3 } });
    write({ a: { n: 1 }, b: { n: 3 } });
    assert.deepEqual(written, ['1', '2', '3', '1']);
  });
});

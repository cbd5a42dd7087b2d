/** sweep.schema.json exactly as src/schemas/sweep.ts generates it (a test fails while the file differs). */
import { sweepJsonSchema } from '../src/schemas/sweep.ts';

export const SWEEP_SCHEMA_FILE = new URL('../sweep.schema.json', import.meta.url);

export const renderSweepSchema = (): string => `${JSON.stringify(sweepJsonSchema(), null, 2)}\n`;

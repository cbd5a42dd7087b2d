/** scenario.schema.json exactly as src/schemas/scenario.ts generates it (a test fails while the file differs). */
import { scenarioJsonSchema } from '../src/schemas/scenario.ts';

export const SCENARIO_SCHEMA_FILE = new URL('../scenario.schema.json', import.meta.url);

export const renderScenarioSchema = (): string => `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;

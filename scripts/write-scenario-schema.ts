/** `npm run openapi` also writes scenario.schema.json and sweep.schema.json, the JSON Schemas of scenario files (`nemesis run`) and sweep files (`nemesis sweep`), beside openapi.yaml. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderScenarioSchema, SCENARIO_SCHEMA_FILE } from './scenario-schema-document.ts';
import { renderSweepSchema, SWEEP_SCHEMA_FILE } from './sweep-schema-document.ts';

for (const [file, text] of [
  [SCENARIO_SCHEMA_FILE, renderScenarioSchema()],
  [SWEEP_SCHEMA_FILE, renderSweepSchema()],
] as const) {
  writeFileSync(file, text);
  console.log(`wrote ${fileURLToPath(file)}`);
}

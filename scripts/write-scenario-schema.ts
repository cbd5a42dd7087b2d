/** `npm run openapi` also writes scenario.schema.json, the JSON Schema of scenario files (`nemesis run`), beside openapi.yaml. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderScenarioSchema, SCENARIO_SCHEMA_FILE } from './scenario-schema-document.ts';

writeFileSync(SCENARIO_SCHEMA_FILE, renderScenarioSchema());
console.log(`wrote ${fileURLToPath(SCENARIO_SCHEMA_FILE)}`);

/** `npm run openapi`: regenerate openapi.yaml (a test fails while it differs from what the server generates). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPENAPI_FILE, renderOpenapiYaml } from './openapi-document.ts';

writeFileSync(OPENAPI_FILE, await renderOpenapiYaml());
console.log(`wrote ${fileURLToPath(OPENAPI_FILE)}`);

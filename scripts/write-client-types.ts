/** `npm run sdk` (after `npm run openapi`): regenerate the client's types (a test fails while they differ from openapi.yaml's). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIENT_TYPES_FILE, renderClientTypes } from './client-types.ts';

writeFileSync(CLIENT_TYPES_FILE, await renderClientTypes());
console.log(`wrote ${fileURLToPath(CLIENT_TYPES_FILE)}`);

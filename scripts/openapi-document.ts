/**
 * The OpenAPI document exactly as the daemon serves it, as YAML. Built from an
 * in-memory daemon on a frozen clock, so it depends on the code and nothing else.
 */
import { stringify } from 'yaml';
import { createDaemon } from '../src/daemon.ts';

export async function renderOpenapiYaml(): Promise<string> {
  const daemon = await createDaemon({ db: ':memory:', pcpus: 1, speed: 0, logLevel: 'silent' });
  try {
    const response = await daemon.app.inject({ method: 'GET', url: '/openapi.json' });
    if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}`);
    return stringify(response.json(), { lineWidth: 0 });
  } finally {
    await daemon.close();
  }
}

export const OPENAPI_FILE = new URL('../openapi.yaml', import.meta.url);

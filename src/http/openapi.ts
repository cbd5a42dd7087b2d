/** The OpenAPI document's fixed parts; the paths come from the route schemas. */
import type { SwaggerOptions } from '@fastify/swagger';
import { addDiscriminatorMappings } from './openapi-discriminators.ts';
import { TAGS } from './routes/route-docs.ts';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8000';

export function swaggerOptions(version: string): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'nemesisd',
        description:
          'The control plane of a simulated Xen host (xend\'s role): domains, the credit scheduler and ' +
          '"nemesis" scheduling domains, driven in real time or on a frozen, advanceable clock.',
        version,
        contact: { name: 'nemesis maintainers', url: `${DEFAULT_SERVER_URL}/docs` },
        license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
      },
      servers: [{ url: DEFAULT_SERVER_URL, description: 'The daemon on its defaults (HOST 127.0.0.1, PORT 8000).' }],
      tags: Object.values(TAGS).map((tag) => ({ ...tag })),
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'Needed on /api/v1 when the daemon runs with NEMESIS_TOKEN set.',
          },
        },
      },
    },
    transformObject: (document) => addDiscriminatorMappings('openapiObject' in document ? document.openapiObject : document.swaggerObject),
    // Named schemas become components named after their $id, so SDKs get real type names.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  };
}

/**
 * How requests are checked against these schemas, by both front doors (the
 * REST routes through Fastify, the Xen API's VM calls with their own Ajv), so
 * both accept exactly the same values: nothing coerced, defaulted or removed,
 * and a union with a `discriminator` chosen by its tag.
 */
export const AJV_OPTIONS = { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, discriminator: true } as const;

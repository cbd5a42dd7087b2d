/**
 * Response serializers compiled once per process. fast-json-stringify's
 * compilation (resolving every shared schema for every response of every
 * route) is nine tenths of building the app, and a serializer depends only on
 * its schema, the shared schemas and the options. A process that builds the
 * app more than once (a test file's daemons, each on its own database) reuses
 * what the first build compiled.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Serializer = ReturnType<ReturnType<SerializerFactory>>;

const compileOnce = SerializerSelector();
/** Per set of shared schemas and options (as JSON): each response schema's serializer, by the schema's JSON. */
const compiledBy = new Map<string, Map<string, Serializer>>();

export const buildSerializerOncePerProcess: SerializerFactory = (externalSchemas, options) => {
  const compile = compileOnce(externalSchemas, options);
  const context = JSON.stringify([externalSchemas, options]);
  let compiled = compiledBy.get(context);
  if (compiled === undefined) compiledBy.set(context, (compiled = new Map()));
  return (route) => {
    const key = JSON.stringify(route.schema);
    let serializer = compiled.get(key);
    if (serializer === undefined) compiled.set(key, (serializer = compile(route)));
    return serializer;
  };
};

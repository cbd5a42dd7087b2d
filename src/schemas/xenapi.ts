/**
 * The Xen API's two transports, as the OpenAPI document describes them (the
 * dispatcher checks calls itself and answers in JSON-RPC's or XML-RPC's
 * terms, so these shapes document, they do not validate).
 */
import { Type, type Static } from '@sinclair/typebox';

const PARAMS = 'The session ref first (not for `session.login_with_password` nor `system.listMethods`), then the call\'s arguments.';

export const XenApiJsonRpcCall = Type.Object(
  {
    jsonrpc: Type.Optional(Type.Literal('2.0')),
    id: Type.Optional(Type.Unknown({ description: 'Echoed in the answer.' })),
    method: Type.String({ maxLength: 256, description: 'A XenAPI call, `class.message`: `VM.get_all_records`, `Async.VM.start`, … (`system.listMethods` lists them).' }),
    params: Type.Optional(Type.Array(Type.Unknown(), { description: PARAMS })),
  },
  { description: 'A JSON-RPC 2.0 call.' },
);

export const XenApiJsonRpcAnswer = Type.Object(
  {
    jsonrpc: Type.Literal('2.0'),
    id: Type.Unknown({ description: "The call's id." }),
    result: Type.Optional(Type.Unknown({ description: 'What the call answers (an empty string for none).' })),
    error: Type.Optional(
      Type.Object(
        {
          code: Type.Integer({ description: "1 for a XenAPI failure; JSON-RPC's -32700 and -32600 for documents that are not a call." }),
          message: Type.String({ description: 'The XenAPI error code: `HANDLE_INVALID`, `SESSION_INVALID`, `VM_BAD_POWER_STATE`, …' }),
          data: Type.Array(Type.String(), { description: "The error's parameters, e.g. `[\"VM\", \"OpaqueRef:…\"]`." }),
        },
        { description: 'The failure.' },
      ),
    ),
  },
  { description: 'A JSON-RPC 2.0 answer, always with status 200: `result`, or `error` with the XenAPI error description.' },
);

export const XenApiXmlRpcCall = Type.String({
  maxLength: 1024 * 1024,
  description: `An XML-RPC \`methodCall\` (no DTD or entities; arrays and structs nested 32 deep at most). ${PARAMS}`,
});

export const XenApiXmlRpcAnswer = Type.String({
  description: 'An XML-RPC `methodResponse`, always with status 200: the struct `{Status: "Success", Value}` or `{Status: "Failure", ErrorDescription: [code, param, …]}` (`XMLRPC_UNMARSHAL_FAILURE` for a document that is refused or not a call). 64-bit ints are strings, as XenAPI sends them.',
});

const Ref = Type.String({ description: '`OpaqueRef:<uuid>`, or `OpaqueRef:NULL` for none.' });
const StringMap = Type.Record(Type.String(), Type.String());

/** A VM record as the Xen API gives it (the fields this host has). */
export const XenApiVmRecord = Type.Object({
  uuid: Type.String(),
  name_label: Type.String(),
  name_description: Type.String(),
  power_state: Type.Union([Type.Literal('Halted'), Type.Literal('Paused'), Type.Literal('Running')]),
  allowed_operations: Type.Array(Type.String()),
  current_operations: StringMap,
  is_a_template: Type.Boolean(),
  is_control_domain: Type.Boolean(),
  domid: Type.Integer({ description: '-1 while halted.' }),
  resident_on: Ref,
  memory_static_max: Type.Integer({ description: 'Bytes.' }),
  memory_dynamic_max: Type.Integer({ description: 'Bytes.' }),
  VCPUs_max: Type.Integer(),
  VCPUs_at_startup: Type.Integer(),
  VCPUs_params: Type.Object({ weight: Type.String(), cap: Type.String() }),
  metrics: Ref,
  consoles: Type.Array(Ref),
  VIFs: Type.Array(Ref),
  VBDs: Type.Array(Ref),
  other_config: StringMap,
  scheduling_domain: Ref,
  scheduling_domain_share: Type.Integer(),
  /** The pool it lives in: XenAPI's set of one ref. */
  cpu_pool: Type.Array(Ref),
});
export type XenApiVmRecord = Static<typeof XenApiVmRecord>;

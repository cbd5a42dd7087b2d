/**
 * The layer rules of the architecture (README "Layout"), enforced on every
 * import, type-only ones included: `npm test` runs
 * `depcruise src bench scripts test --config .dependency-cruiser.mjs`.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'hypervisor-is-pure',
      comment: 'src/hypervisor imports nothing outside itself but the shared vocabulary: no Node, no npm packages, no other layer.',
      severity: 'error',
      from: { path: '^src/hypervisor/' },
      to: { pathNot: '^src/(hypervisor|vocabulary)/' },
    },
    {
      name: 'vocabulary-is-a-leaf',
      comment: 'src/vocabulary (the error catalogue, defaults, units, limits every layer shares) is below every layer: it imports nothing, not even Node or npm packages.',
      severity: 'error',
      from: { path: '^src/vocabulary/' },
      to: { pathNot: '^src/vocabulary/' },
    },
    {
      name: 'schemas-are-shapes',
      comment: 'src/schemas describes shapes: it imports TypeBox, the shared vocabulary and the hypervisor\'s limits (through its front), never a layer above (control, runtime, lab, http, xenapi, store).',
      severity: 'error',
      from: { path: '^src/schemas/' },
      to: { pathNot: '^src/(schemas|vocabulary)/|^src/hypervisor/index[.]ts$|node_modules/@sinclair/typebox/' },
    },
    {
      name: 'hypervisor-through-its-front',
      comment: 'The rest of the server reaches the hypervisor through Host and domctl, never its engine, handlers, checks or model.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/hypervisor/' },
      to: { path: '^src/hypervisor/(engine|domctl-handlers|checks|facts|plan|inspect|model|invariant)[.]ts$' },
    },
    {
      name: 'http-translates-only',
      comment: 'src/http routes call src/control; they never touch the store or the hypervisor.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(store|hypervisor)/' },
    },
    {
      name: 'xenapi-is-a-room-above-control',
      comment: 'src/xenapi (the Xen API\'s sessions, tasks, event log and calls) works through src/control: never the store, the hypervisor or the runtime, and never its own HTTP transports.',
      severity: 'error',
      from: { path: '^src/xenapi/' },
      to: { path: '^src/', pathNot: '^src/(xenapi|control|schemas|vocabulary)/' },
    },
    {
      name: 'nothing-below-imports-the-xenapi',
      comment: 'Only the HTTP transports (and the daemon that wires them) reach src/xenapi; the layers below it never do.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(xenapi|http)/|^src/(app|daemon)[.]ts$' },
      to: { path: '^src/xenapi/' },
    },
    {
      name: 'store-below-control',
      comment: 'src/store knows nothing of the control layer or HTTP.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(control|http)/' },
    },
    {
      name: 'runtime-below-control',
      comment: 'src/runtime (the real-time driver) knows nothing of the control layer or HTTP.',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: '^src/(control|http)/' },
    },
    {
      name: 'tools-are-clients',
      comment: 'The CLI and the dashboard talk to the daemon over its API only: they import no server code (the CLI may run the lab, headless, without a daemon: `nemesis run` and `replay`, loaded only for those).',
      severity: 'error',
      from: { path: '^(src/(cli|web)/|web/|src/bin/nemesis\\.ts$)' },
      // src/lab is headless simulation (nemesis replay, run): the tool may use it without a daemon; the vocabulary is shared by all.
      // src/node-version.ts imports nothing: both programs check the Node.js version with it first.
      to: { path: '^src/', pathNot: '^src/((cli|web|lab|vocabulary)/|node-version[.]ts$)' },
    },
    {
      name: 'lab-is-headless',
      comment: 'src/lab (scenarios, what-if, replay, trace formats) runs a control layer of its own over an in-memory store: it may import src/control, src/store, src/runtime, src/hypervisor, src/fairness, src/schemas and itself; never the daemon, HTTP or the CLI.',
      severity: 'error',
      from: { path: '^src/lab/', pathNot: '^src/lab/what-if-copy[.]ts$' },
      to: { path: '^src/', pathNot: '^src/(lab|control|store|runtime|hypervisor|fairness|schemas|vocabulary)/' },
    },
    {
      name: 'what-if-applies-requests-through-the-routes',
      comment: "A what-if's changes are requests of the API: its copy applies them through the daemon's own routes, schemas and error handling (src/app.ts's controlRoutes, src/http), so each passes or fails as it would for real. The one file of the lab that may; never the daemon or the CLI.",
      severity: 'error',
      from: { path: '^src/lab/what-if-copy[.]ts$' },
      to: { path: '^src/', pathNot: '^src/(lab|control|store|runtime|hypervisor|fairness|schemas|vocabulary|http)/|^src/app[.]ts$' },
    },
    {
      name: 'nothing-server-side-imports-the-cli',
      comment: 'The CLI is a client: the daemon and the lab never import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli/|bin/nemesis[.]ts$)' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

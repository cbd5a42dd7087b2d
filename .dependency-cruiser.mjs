/**
 * The layer rules of the architecture (README "Layout"), enforced on every
 * import, type-only ones included: `npm test` runs `npm run lint:deps`.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'hypervisor-is-pure',
      comment: 'src/hypervisor imports nothing outside itself: no Node, no npm packages, no other layer.',
      severity: 'error',
      from: { path: '^src/hypervisor/' },
      to: { pathNot: '^src/hypervisor/' },
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
      comment: 'The CLI and the dashboard talk to the daemon over its API only: they import no server code (the CLI may run the lab, headless, without a daemon).',
      severity: 'error',
      from: { path: '^(src/(cli|web)/|web/|src/bin/nemesis\\.ts$)' },
      // src/lab is headless simulation (nemesis replay, run): the tool may use it without a daemon.
      // src/node-version.ts imports nothing: both programs check the Node.js version with it first.
      to: { path: '^src/', pathNot: '^src/((cli|web|lab)/|node-version[.]ts$)' },
    },
    {
      name: 'lab-is-headless',
      comment: 'src/lab (replay, scenarios, trace formats) runs the simulated host headless: it imports src/hypervisor, src/fairness, the shapes of src/schemas and itself; never the daemon, the control layer or the store.',
      severity: 'error',
      from: { path: '^src/lab/' },
      to: { path: '^src/', pathNot: '^src/(lab|hypervisor|fairness|schemas)/' },
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

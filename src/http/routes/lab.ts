/** /api/v1/host/replay-log and /api/v1/host/what-if: translation only; the lab (src/lab, the control layer's `lab`) does the work. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ref } from '../../schemas/common.ts';
import { REPLAY_LOG_MAX_ENTRIES } from '../../control/index.ts';
import { Type } from '@sinclair/typebox';
import { ReplayLog, WhatIf, WhatIfComparison, WhatIfRequest } from '../../schemas/lab.ts';
import { described, responses } from '../../schemas/responses.ts';
import { doc } from './route-docs.ts';
import { clientOf } from '../local-requests.ts';

export const labRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { lab } = app.control;

  app.get('/host/replay-log', {
    schema: {
      ...doc('getReplayLog', 'host', 'Export the run as a replay log', `How the simulated host was made and every change to it so far, each with the simulated time it was applied at, and the trace hash now: \`nemesis replay\` re-runs it headless and checks the hash. 409 \`REPLAY_LOG_FULL\` once the run has made more changes than the log keeps (${REPLAY_LOG_MAX_ENTRIES}).`),
      response: responses({ 200: described(ref(ReplayLog), 'The run so far.') }, 409),
    },
  }, async () => lab.replayLog());

  app.post('/host/what-if', {
    schema: {
      ...doc('whatIf', 'host', 'Preview changes on a copy of the host', 'Copies the host as it is now, applies `changes` (requests of this API, in order) to the copy, runs it and an unchanged copy `ms` ahead, and reports each domain\'s and scheduling domain\'s share with and without the changes. The host itself is untouched. A change that fails fails the what-if with its own error and `change_index`. One at a time per client. With `policies`, the same once per policy, side by side (a WhatIfComparison).'),
      body: ref(WhatIfRequest),
      response: responses({ 200: described(Type.Union([ref(WhatIf), ref(WhatIfComparison)]), 'The prediction: a WhatIf, or with `policies` a WhatIfComparison.') }, 404, 409),
    },
  }, async (request) => lab.whatIf(request.body, clientOf(request)));
};

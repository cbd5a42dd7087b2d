/**
 * `npm run fuzz -- --runs N [--seed S] [--length L]`: a larger campaign than the
 * test's, printing the report. Exit 1 on a failure (the report says how to replay it).
 */
import { parseArgs } from 'node:util';
import { runCampaign } from './campaign.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '50' }, seed: { type: 'string' }, length: { type: 'string', default: '1000' }, 'keep-going': { type: 'boolean', default: false } },
});
const seed = values.seed === undefined ? Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31)) : Number(values.seed);
const options = { seed, runs: Number(values.runs), length: Number(values.length), keepGoing: values['keep-going'] };
console.log(`fuzz: seed ${seed}, ${options.runs} runs of ${options.length} requests`);
const started = performance.now();
const report = await runCampaign(options);
console.log(`requests ${report.requests} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log('by status', JSON.stringify(report.byStatus));
console.log('by operation', JSON.stringify(report.byOperation, null, 1));
for (const { count, example } of Object.values(report.problems)) console.log(`problem ×${count}:\n${example}`);
if (report.failure !== undefined || Object.keys(report.problems).length > 0) {
  if (report.failure !== undefined) console.log(report.failure);
  process.exitCode = 1;
}

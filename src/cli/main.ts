/**
 * The `nemesis` command line: xl's commands and the `sdom` tool of the 2007
 * scheduling-domain patches over the daemon's HTTP API. Exit codes: 0 done,
 * 1 failed (one line on stderr), 2 bad usage (the command's usage on stderr).
 * Nothing goes to stdout on error.
 */
import { Command, CommanderError } from 'commander';
import { connect, DEFAULT_URL, unreachable } from './client.ts';
import { domainCommands } from './commands/domains.ts';
import { hostCommands } from './commands/host.ts';
import { labCommands } from './commands/lab.ts';
import { runCommand } from './commands/run.ts';
import { cpupoolCommands } from './commands/cpupools.ts';
import { schedCommands } from './commands/sched.ts';
import { sdomCommands } from './commands/sdom.ts';
import { sweepCommand } from './commands/sweep.ts';
import { topCommand } from './commands/top.ts';
import { traceCommand } from './commands/trace.ts';
import { vcpuCommands } from './commands/vcpus.ts';
import type { Context } from './context.ts';
import { CliError, UsageError } from './errors.ts';
import { colourWanted } from './output.ts';
import { PACKAGE_VERSION } from '../vocabulary/version.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

interface GlobalOptions {
  url: string;
  token?: string;
  json?: boolean;
}

function program(context: () => Context, env: NodeJS.ProcessEnv): Command {
  const nemesis = new Command('nemesis')
    .description('Drive nemesisd, the simulated Xen host, like xl: domains, the credit and credit2 schedulers, cpupools, scheduling domains, top')
    .option('--url <URL>', 'the daemon: http://HOST:PORT, or unix:/PATH for its local socket (env NEMESIS_URL)', env['NEMESIS_URL'] ?? DEFAULT_URL)
    .option('--token <TOKEN>', 'bearer token (env NEMESIS_TOKEN)')
    .option('--json', 'print the API\'s objects as JSON (for scripts and jq)')
    // The tool's own version (its package's); the daemon's is in `nemesis info`.
    .version(`nemesis ${PACKAGE_VERSION}`, '-V, --version', 'print the tool\'s version')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: (text) => process.stdout.write(text), writeErr: (text) => process.stderr.write(text) })
    .helpCommand('help [COMMAND]', 'help for a command');
  domainCommands(nemesis, context);
  schedCommands(nemesis, context);
  vcpuCommands(nemesis, context);
  sdomCommands(nemesis, context);
  cpupoolCommands(nemesis, context);
  hostCommands(nemesis, context);
  topCommand(nemesis, context);
  labCommands(nemesis, context);
  traceCommand(nemesis, context);
  runCommand(nemesis, context);
  sweepCommand(nemesis, context);
  return nemesis;
}

/** Runs one command line; resolves to the exit code (it never throws). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let url = DEFAULT_URL;
  let running: Command | undefined;
  const context = (): Context => {
    const options = nemesis.opts<GlobalOptions>();
    url = options.url;
    return {
      connection: connect(options.url, options.token ?? env['NEMESIS_TOKEN']),
      out: {
        json: options.json === true,
        colour: colourWanted(process.stdout, env),
        write: (text) => process.stdout.write(text),
        warn: (text) => process.stderr.write(`nemesis: ${text}\n`),
      },
    };
  };
  const nemesis = program(context, env).hook('preAction', (_, command) => {
    running = command;
  });
  try {
    await nemesis.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return failed(error, url, running);
  }
}

function failed(error: unknown, url: string, running: Command | undefined): number {
  // commander has printed the message and the usage already.
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n${running?.helpInformation() ?? ''}`);
    return EXIT.usage;
  }
  const message = error instanceof CliError ? error.message : (unreachable(error, url) ?? (error instanceof Error ? error.message : String(error)));
  process.stderr.write(`nemesis: ${message}\n`);
  return EXIT.failed;
}

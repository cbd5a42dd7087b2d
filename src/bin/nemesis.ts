#!/usr/bin/env node
/** `nemesis`: the command-line tool (see src/cli/main.ts). */
import { main } from '../cli/main.ts';

process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
import { runSimulatorCli } from './cli.js';
import { streamOutput } from './output.js';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.exitCode = await runSimulatorCli(process.argv.slice(2), { output: streamOutput(), signal: stop.signal });

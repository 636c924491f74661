#!/usr/bin/env node
import { runJob } from '@sophon/lifecycle';
import { loadDeadLettersConfig, runDeadLetterCli } from './dead-letter-cli.js';

await runJob('dead-letters', loadDeadLettersConfig, (config, logger) =>
  runDeadLetterCli(process.argv.slice(2), config, logger, (line) => process.stdout.write(`${line}\n`)),
);

#!/usr/bin/env node
import { runDeadLetterCli } from './dead-letter-cli.js';

runDeadLetterCli(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);

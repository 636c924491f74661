#!/usr/bin/env node
import { createLogger } from '@sophon/logger';
import { loadEnsureTopicsConfig, runEnsureTopics } from './ensure-topics-cli.js';

const SERVICE = 'kafka-ensure-topics';

// A one-shot job: exit explicitly, so a client handle left open can never keep it running.
try {
  const config = loadEnsureTopicsConfig();
  process.exit(await runEnsureTopics(config, createLogger({ service: SERVICE, level: config.LOG_LEVEL })));
} catch (error) {
  // A ConfigError's message names every bad variable; a stack would only hide it.
  createLogger({ service: SERVICE }).fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

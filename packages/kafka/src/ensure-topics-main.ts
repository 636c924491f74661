#!/usr/bin/env node
import { runJob } from '@sophon/lifecycle';
import { loadEnsureTopicsConfig, runEnsureTopics } from './ensure-topics-cli.js';

await runJob('kafka-ensure-topics', loadEnsureTopicsConfig, runEnsureTopics);

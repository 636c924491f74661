/**
 * The kafka-init job's CLI (packages/kafka/src/ensure-topics-cli.ts) on the test kit's broker.
 * That broker has no CreateTopics API, so this covers the tolerated path; the created path is
 * ensureTopics itself, shared with the local stack.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@sophon/logger';
import { startKafka, type KafkaServer } from '@sophon/test-kit';
import { readTopicDefinitions } from '@sophon/kafka';
import { DEFAULT_TOPICS_FILE, loadEnsureTopicsConfig, runEnsureTopics } from '../../packages/kafka/src/ensure-topics-cli.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'kafka-init-test', level: 'info', destination }) };
}

describe('sophon-ensure-topics (kafka-init)', () => {
  let kafka: KafkaServer;
  before(async () => {
    kafka = await startKafka();
  });
  after(() => kafka?.close());

  test('reads deploy/kafka/topics.json by default and exits 0 once the broker has them', async () => {
    const config = loadEnsureTopicsConfig({ KAFKA_BROKERS: kafka.brokers.join(',') });
    assert.equal(config.KAFKA_TOPICS_FILE, DEFAULT_TOPICS_FILE);
    const { lines, logger } = capturingLogger();
    assert.equal(await runEnsureTopics(config, logger), 0);
    const ready = lines.find((line) => line.msg === 'topics ready');
    assert.ok(ready, JSON.stringify(lines));
    assert.deepEqual(ready.topics, readTopicDefinitions(DEFAULT_TOPICS_FILE).map((topic) => `${topic.name}:${topic.partitions}`));
    assert.equal(ready.outcome, 'unsupported', 'the mock broker auto-creates topics instead');
  });

  test('a missing topics file fails at once instead of being retried', async () => {
    const config = loadEnsureTopicsConfig({ KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPICS_FILE: '/nonexistent/topics.json' });
    const { logger } = capturingLogger();
    await assert.rejects(runEnsureTopics(config, logger), /ENOENT/);
  });

  test('refuses a bad environment, naming the variable', () => {
    assert.throws(() => loadEnsureTopicsConfig({ KAFKA_INIT_TIMEOUT_MS: 'soon' }), /KAFKA_INIT_TIMEOUT_MS/);
  });
});

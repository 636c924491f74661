import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@sophon/logger';
import { startKafka, type KafkaServer } from '@sophon/test-kit';
import { createDurableProducer, createKafkaClient, deadLetterRecord, loadDeadLettersConfig, readTopicToEnd, runDeadLetterCli, type ConsumedMessage } from '../src/index.js';

const logger = createLogger({ service: 'dlq-cli-test', level: 'silent' });
let server: KafkaServer;
before(async () => {
  server = await startKafka({ topics: { source: 1, dlq: 1 } });
  const producer = createDurableProducer(createKafkaClient({ brokers: server.brokers, clientId: 't' }, logger), logger);
  await producer.connect();
  const original = (offset: string, value: string): ConsumedMessage => ({
    topic: 'source',
    partition: 0,
    offset,
    key: `key-${offset}`,
    value: Buffer.from(value),
    headers: { 'event-id': `event-${offset}` },
    timestamp: Date.now(),
  });
  await producer.publish([
    deadLetterRecord('dlq', original('7', 'first'), new Error('ClickHouse said no'), 'analytics-writer'),
    deadLetterRecord('dlq', original('9', 'second'), new Error('bad sha256'), 'image-store'),
  ]);
  await producer.disconnect();
});
after(() => server.close());

const env = () => ({ KAFKA_BROKERS: server.brokers.join(','), KAFKA_TOPIC_DEAD_LETTER: 'dlq' });

async function cli(...args: string[]) {
  const lines: string[] = [];
  const code = await runDeadLetterCli(args, loadDeadLettersConfig(env()), logger, (line) => lines.push(line));
  return { code, lines };
}

test('list shows each dead letter with its source, group and reason', async () => {
  const { code, lines } = await cli('list', '--json');
  assert.equal(code, 0);
  const letters = lines.map((line) => JSON.parse(line));
  assert.deepEqual(
    letters.map((l) => [l.offset, l.source, l.group, l.eventId]),
    [
      ['0', 'source/0@7', 'analytics-writer', 'event-7'],
      ['1', 'source/0@9', 'image-store', 'event-9'],
    ],
  );
  assert.match(letters[0].error, /ClickHouse said no/);
});

test('replay sends the chosen message back to its source topic, as it was', async () => {
  assert.deepEqual((await cli('replay', '--offsets', '0:5')).code, 1, 'an offset that is not there is refused');
  const dry = await cli('replay', '--offsets', '0:1', '--dry-run');
  assert.match(dry.lines.join('\n'), /would replay 0:1 -> source/);
  const { code, lines } = await cli('replay', '--offsets', '0:1');
  assert.equal(code, 0, lines.join('\n'));
  const replayed = await readTopicToEnd(createKafkaClient({ brokers: server.brokers, clientId: 't' }, logger), 'source');
  assert.equal(replayed.length, 1, 'only the chosen one, and the dry run sent nothing');
  assert.equal(replayed[0]?.value.toString(), 'second');
  assert.equal(replayed[0]?.key, 'key-9');
  assert.deepEqual(replayed[0]?.headers, { 'event-id': 'event-9' });
});

test('unknown commands print the usage', async () => {
  const { code, lines } = await cli('delete');
  assert.equal(code, 2);
  assert.match(lines[0] ?? '', /usage/);
});

test('--help prints the usage; an unknown option says which, with the usage, and is a usage error', async () => {
  for (const flag of ['--help', '-h']) {
    const { code, lines } = await cli(flag);
    assert.equal(code, 0, flag);
    assert.match(lines[0] ?? '', /^usage: sophon-dead-letters/);
  }
  const { code, lines } = await cli('list', '--bogus');
  assert.equal(code, 2);
  assert.match(lines.join('\n'), /Unknown option '--bogus'[\s\S]*usage: sophon-dead-letters/);
});

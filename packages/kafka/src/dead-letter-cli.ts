/**
 * Inspect the dead-letter topic and send chosen messages back to their source topic.
 *
 *   sophon-dead-letters list [--source-topic T] [--json]
 *   sophon-dead-letters replay (--offsets P:O,P:O... | --all) [--source-topic T] [--dry-run]
 *
 * Reads KAFKA_BROKERS, KAFKA_CLIENT_ID and KAFKA_TOPIC_DEAD_LETTER like the services do.
 */
import { parseArgs } from 'node:util';
import { consumerEnv, kafkaEnv, loadConfig, loggingEnv } from '@sophon/config';
import type { Logger } from '@sophon/logger';
import { createKafkaClient } from './client.js';
import type { ConsumedMessage } from './consumed-message.js';
import { DEAD_LETTER_HEADERS, replayRecord } from './dead-letter.js';
import { createDurableProducer } from './producer.js';
import { readTopicToEnd } from './read-topic.js';

const USAGE = 'usage: sophon-dead-letters list [--source-topic T] [--json] | replay (--offsets P:O,... | --all) [--source-topic T] [--dry-run]';

export const deadLettersEnv = {
  ...kafkaEnv,
  // Its output is on stdout too: only problems are logged unless asked for more.
  LOG_LEVEL: loggingEnv.LOG_LEVEL.unwrap().default('warn'),
  KAFKA_TOPIC_DEAD_LETTER: consumerEnv.KAFKA_TOPIC_DEAD_LETTER,
};

export type DeadLettersConfig = ReturnType<typeof loadDeadLettersConfig>;

export function loadDeadLettersConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(deadLettersEnv, source);
}

/** Exit code 0 when done, 1 when an offset asked for is not there, 2 on a usage error. */
export async function runDeadLetterCli(argv: string[], config: DeadLettersConfig, logger: Logger, out: (line: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'source-topic': { type: 'string' },
        offsets: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // An unknown option or a missing value: say which, and how the command is used.
    out(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const command = positionals[0];
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (command !== 'list' && command !== 'replay') {
    out(USAGE);
    return 2;
  }
  const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-dead-letters` }, logger);

  const all = await readTopicToEnd(kafka, config.KAFKA_TOPIC_DEAD_LETTER);
  const letters = all.filter((m) => !values['source-topic'] || m.headers[DEAD_LETTER_HEADERS.sourceTopic] === values['source-topic']);

  if (command === 'list') {
    for (const letter of letters) out(values.json ? JSON.stringify(describe(letter)) : formatLine(letter));
    if (!values.json) out(`${letters.length} dead letter(s) in ${config.KAFKA_TOPIC_DEAD_LETTER}`);
    return 0;
  }

  let chosen: ConsumedMessage[];
  if (values.all) chosen = letters;
  else if (values.offsets) {
    const wanted = new Set(values.offsets.split(',').map((s) => s.trim()));
    chosen = letters.filter((m) => wanted.has(`${m.partition}:${m.offset}`));
    const missing = [...wanted].filter((w) => !chosen.some((m) => `${m.partition}:${m.offset}` === w));
    if (missing.length) {
      out(`not found in ${config.KAFKA_TOPIC_DEAD_LETTER}: ${missing.join(', ')}`);
      return 1;
    }
  } else {
    out(USAGE);
    return 2;
  }
  const records = chosen.map(replayRecord);
  if (!values['dry-run']) {
    const producer = createDurableProducer(kafka, logger);
    await producer.connect();
    try {
      await producer.publish(records);
    } finally {
      await producer.disconnect();
    }
  }
  for (const [i, letter] of chosen.entries()) out(`${values['dry-run'] ? 'would replay' : 'replayed'} ${letter.partition}:${letter.offset} -> ${records[i]!.topic}`);
  out(`${chosen.length} message(s) ${values['dry-run'] ? 'would be ' : ''}replayed`);
  return 0;
}

function describe(m: ConsumedMessage) {
  return {
    partition: m.partition,
    offset: m.offset,
    source: `${m.headers[DEAD_LETTER_HEADERS.sourceTopic]}/${m.headers[DEAD_LETTER_HEADERS.sourcePartition]}@${m.headers[DEAD_LETTER_HEADERS.sourceOffset]}`,
    group: m.headers[DEAD_LETTER_HEADERS.consumerGroup],
    failedAt: m.headers[DEAD_LETTER_HEADERS.failedAt],
    error: m.headers[DEAD_LETTER_HEADERS.error],
    eventId: m.headers['event-id'],
    bytes: m.value.length,
  };
}

function formatLine(m: ConsumedMessage): string {
  const d = describe(m);
  return `${d.partition}:${d.offset}  ${d.source}  group=${d.group}  event=${d.eventId ?? '-'}  ${d.bytes} B  ${d.failedAt}  ${d.error}`;
}

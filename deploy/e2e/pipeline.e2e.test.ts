/**
 * The whole pipeline on the test kit's real servers, each service a process of its own
 * started from its real entry point (deploy/local/stack.ts): events posted to the gateway
 * become rows in ClickHouse, pictures in S3 and registrations, once each, whatever is
 * replayed, retried, killed or down for a while.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClickHouseClient } from '@sophon/clickhouse';
import { sampleHistoryEvent, tinyImage } from '@sophon/event-contract/testing';
import { DEFAULT_TOPICS } from '@sophon/event-contract';
import { createKafkaClient, loadDeadLettersConfig, readTopicToEnd, runDeadLetterCli } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { metricValue, waitFor as until } from '@sophon/test-kit';
import type { ObjectStore } from '@sophon/object-store';
import { clickhouseClient, objectStore } from '../local/clients.js';
import { BUCKET, DATABASE, startLocalStack, type LocalStack } from '../local/stack.js';

let stack: LocalStack;
let clickhouse: ClickHouseClient;
let store: ObjectStore;

before(async () => {
  stack = await startLocalStack({ fastConsumers: true, output: process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore', logLevel: process.env.TEST_LOG_LEVEL ?? 'warn' });
  clickhouse = clickhouseClient(stack.clickhouse, DATABASE);
  store = objectStore(stack.s3);
  for (const service of ['image-store', 'analytics-writer', 'registration-worker'] as const) {
    await until(async () => (await fetch(`${stack.services[service].opsUrl}/readyz`)).ok, `${service} ready`, 30_000);
  }
});
after(async () => {
  await clickhouse?.close();
  store?.close();
  await stack?.stop();
});

// ---- the events: several devices, every person type, want_action 0/1001/1002, fiqa true/false, with and without pictures
const base = Date.UTC(2026, 10, 20, 8, 0, 0);
function device(devSno: string, n: number, change: (e: any) => void = () => {}) {
  const e = structuredClone(sampleHistoryEvent()) as any;
  e.identity_id = `${devSno}-person-${n}`;
  e.identity_name = `Person ${n}`;
  e.timestamp = base + n * 60_000;
  e.score = 0.5 + n / 100;
  e.ext_data.dev_sno = devSno;
  e.ext_data.ep_id = `${devSno}__192.168.7.${n}`;
  e.ext_data.person_type = (n % 5) + 1;
  e.ext_data.spot_pic = tinyImage('jpeg', 3000 + n).toString('base64');
  e.ext_data.recognize_face = tinyImage('jpeg', 900 + n).toString('base64');
  e.ext_data.ir_pic = tinyImage('png', 700 + n).toString('base64');
  e.reg_pic = tinyImage('jpeg', 1200 + n).toString('base64');
  change(e);
  return e;
}
const events = [
  device('BOX-E1', 1),
  device('BOX-E1', 2, (e) => {
    delete e.reg_pic;
    delete e.ext_data.spot_pic;
    delete e.ext_data.ir_pic;
    delete e.ext_data.recognize_face;
  }),
  device('BOX-E1', 3, (e) => {
    e.want_action = '1001';
    e.ext_data.person_type = 4;
    e.ext_data.fiqa_result = true;
  }),
  device('BOX-E2', 4, (e) => {
    e.want_action = '1001';
    e.ext_data.person_type = 4;
    e.ext_data.fiqa_result = 'False';
  }),
  device('BOX-E2', 5, (e) => {
    e.want_action = '1002';
    e.ext_data.fiqa_result = true;
  }),
  device('BOX-E3', 6, (e) => (e.ext_data.info = { age: 'aged', gender: 'male', glasses: 'yes', box: [10, 20, 110, 140] })),
  device('BOX-E3', 7, (e) => (e.reg_pic = '')),
];
const pictureFields = (e: any): [string, string | undefined][] => [
  ['reg_pic', e.reg_pic || undefined],
  ['spot_pic', e.ext_data.spot_pic],
  ['ir_pic', e.ext_data.ir_pic],
  ['recognize_face', e.ext_data.recognize_face],
];
const expectedPictures = events.flatMap((e) => pictureFields(e).filter(([, b64]) => b64)).length;
const eventIds: string[] = [];

async function postAll(list: unknown[]) {
  const response = await fetch(`${stack.gatewayUrl}/EventServer/api/HistoryEvent?token=${stack.token}`, { method: 'POST', body: JSON.stringify(list) });
  const answer = (await response.json()) as { data: { quarantined: number; events: { event_id: string }[] } };
  assert.equal(response.status, 200, JSON.stringify(answer));
  assert.equal(answer.data.quarantined, 0, JSON.stringify(answer));
  return answer.data.events.map((e: { event_id: string }) => e.event_id) as string[];
}

const count = async (sql: string) => Number((await (await clickhouse.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n ?? 0);
const objects = async () => {
  const keys: string[] = [];
  for await (const item of store.client.listObjectsV2(BUCKET, '', true)) if (item.name) keys.push(item.name);
  return keys;
};
const kafkaClient = () => createKafkaClient({ brokers: stack.kafka.brokers, clientId: 'e2e' }, createLogger({ service: 'e2e', level: 'silent' }));
const faceRegistrations = async () => readTopicToEnd(kafkaClient(), DEFAULT_TOPICS.faceRegistrations);

describe('the pipeline end to end', () => {
  test('posted events become one row each, their pictures byte-exact objects, and the registrations asked for', async () => {
    eventIds.push(...(await postAll(events)));
    assert.equal(new Set(eventIds).size, events.length);

    await until(async () => (await count('SELECT count() AS n FROM history_events FINAL')) === events.length, 'a row per event');
    await until(async () => (await objects()).length === expectedPictures, `${expectedPictures} pictures in S3`);
    await until(async () => (await count('SELECT count() AS n FROM registrations FINAL')) === 3, 'three registration decisions');

    const stored = await (
      await clickhouse.query({ query: 'SELECT * FROM history_events FINAL ORDER BY event_time', format: 'JSONEachRow' })
    ).json<Record<string, any>>();
    for (const [i, sent] of events.entries()) {
      const row = stored.find((r) => r.event_id === eventIds[i]);
      assert.ok(row, `row for event ${i}`);
      assert.equal(row.dev_sno, sent.ext_data.dev_sno);
      assert.equal(row.identity_id, sent.identity_id);
      assert.equal(Number(row.event_time_ms), sent.timestamp);
      assert.equal(row.score, sent.score);
      assert.equal(row.person_type, ['employee', 'visitor', 'blacklist', 'stranger', 'vip'][sent.ext_data.person_type - 1]);
      assert.equal(row.want_action, { '0': 'none', '1001': 'new_stranger', '1002': 'face_update' }[sent.want_action as string]);
      for (const [kind, b64] of pictureFields(sent)) {
        const column = kind === 'recognize_face' ? 'face_pic_key' : `${kind}_key`;
        if (!b64) {
          assert.equal(row[column], '', `${column} empty for event ${i}`);
          continue;
        }
        const object = await store.client.getObject(BUCKET, row[column]);
        const chunks: Buffer[] = [];
        for await (const chunk of object) chunks.push(chunk as Buffer);
        assert.deepEqual(Buffer.concat(chunks), Buffer.from(b64, 'base64'), `${kind} of event ${i} byte-exact`);
      }
    }
    assert.deepEqual(stored.find((r) => r.event_id === eventIds[5])?.face_box, [10, 20, 110, 140]);

    const decisions = await (
      await clickhouse.query({ query: 'SELECT event_id, action, outcome, reason FROM registrations FINAL', format: 'JSONEachRow' })
    ).json<{ event_id: string; action: string; outcome: string; reason: string }>();
    const byEvent = Object.fromEntries(decisions.map((d) => [d.event_id, d]));
    assert.equal(byEvent[eventIds[2]!]?.outcome, 'registered');
    assert.equal(byEvent[eventIds[3]!]?.outcome, 'refused');
    assert.match(byEvent[eventIds[3]!]?.reason ?? '', /quality/);
    assert.equal(byEvent[eventIds[4]!]?.outcome, 'updated');
    const commands = await faceRegistrations();
    assert.equal(commands.length, 2, 'a command for the registration and the update, none for the refusal');
  });

  test('the same events posted again, and every topic replayed from offset 0, change nothing', async () => {
    assert.deepEqual(await postAll(events), eventIds, 'a device retry gets the same ids');
    const rowsBefore = await count('SELECT count() AS n FROM history_events');
    for (const service of ['image-store', 'analytics-writer', 'registration-worker'] as const) {
      await stack.services[service].stop();
      await stack.services[service].start({ CONSUMER_GROUP_ID: `${service}-replay` });
    }
    // The replaying groups read both copies of every event: wait until the writer inserted them.
    await until(async () => (await count('SELECT count() AS n FROM history_events')) >= rowsBefore + 2 * events.length, 'the replay read everything', 40_000);
    await until(async () => (await consumerProcessed('registration-worker')) >= 2 * events.length, 'the registration worker read everything', 40_000);
    await until(async () => (await consumerProcessed('image-store')) >= 2 * expectedPictures, 'the image store read everything', 40_000);

    assert.equal(await count('SELECT count() AS n FROM history_events FINAL'), events.length, 'one row per event');
    assert.equal(await count('SELECT sum(events) AS n FROM v_events_per_device_hour'), events.length, 'views count each event once');
    assert.equal((await objects()).length, expectedPictures, 'one object per picture');
    assert.equal(await count('SELECT count() AS n FROM registrations FINAL'), 3, 'one decision per request');
    assert.equal((await faceRegistrations()).length, 2, 'no second command');
  });

  test('a consumer killed mid-stream and restarted loses nothing and doubles nothing', async () => {
    const more = Array.from({ length: 12 }, (_, i) => device('BOX-KILL', 20 + i));
    const posting = postAll(more);
    await stack.services['image-store'].kill();
    eventIds.push(...(await posting));
    await stack.services['image-store'].start({ CONSUMER_GROUP_ID: 'image-store-replay' });
    const total = expectedPictures + more.length * 4;
    await until(async () => (await objects()).length === total, `${total} pictures`, 40_000);
    await until(async () => (await count('SELECT count() AS n FROM history_events FINAL')) === events.length + more.length, 'their rows');
  });

  test('ClickHouse and S3 down for a while: the consumers pause, then catch up with everything', async () => {
    const rowsBefore = await count('SELECT count() AS n FROM history_events FINAL');
    const objectsBefore = (await objects()).length;
    await Promise.all([stack.clickhouse.stop(), stack.s3.stop()]);
    const during = Array.from({ length: 8 }, (_, i) => device('BOX-OUTAGE', 40 + i));
    await postAll(during); // the gateway only needs Kafka
    await until(async () => (await fetch(`${stack.services['analytics-writer'].opsUrl}/readyz`)).status === 503, 'writer not ready');
    await until(async () => (await fetch(`${stack.services['image-store'].opsUrl}/readyz`)).status === 503, 'image store not ready');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await Promise.all([stack.clickhouse.start(), stack.s3.start()]);
    await until(async () => (await count('SELECT count() AS n FROM history_events FINAL')) === rowsBefore + during.length, 'rows caught up', 40_000);
    await until(async () => (await objects()).length === objectsBefore + during.length * 4, 'pictures caught up', 40_000);
  });

  test('a poison message is dead-lettered with its reason while the rest flows; the dead letter can be replayed', async () => {
    const kafka = kafkaClient();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: DEFAULT_TOPICS.historyEvents, messages: [{ key: 'BOX-POISON', value: '{"schema_version":99}', headers: { 'event-id': 'poison-e2e', 'want-action': '0' } }] });
    await producer.disconnect();
    const [good] = await postAll([device('BOX-AFTER', 60)]);
    await until(async () => (await count(`SELECT count() AS n FROM history_events WHERE event_id = '${good}'`)) === 1, 'the next event flows');

    const config = loadDeadLettersConfig({ KAFKA_BROKERS: stack.kafka.brokers.join(','), LOG_LEVEL: 'silent' });
    const logger = createLogger({ service: 'dead-letters', level: 'silent' });
    const lines: string[] = [];
    await until(async () => {
      lines.length = 0;
      await runDeadLetterCli(['list', '--json', '--source-topic', 'history-events'], config, logger, (line) => lines.push(line));
      return lines.some((line) => line.includes('poison-e2e') && line.includes('analytics-writer'));
    }, 'the poison message in the dead-letter topic');
    const letter = lines.map((line) => JSON.parse(line)).find((l) => l.eventId === 'poison-e2e' && l.group.startsWith('analytics-writer'));
    assert.match(letter.error, /PermanentError: not a storable history event/);

    const replayed: string[] = [];
    assert.equal(await runDeadLetterCli(['replay', '--offsets', `${letter.partition}:${letter.offset}`], config, logger, (line) => replayed.push(line)), 0);
    const history = await readTopicToEnd(kafka, DEFAULT_TOPICS.historyEvents);
    assert.equal(history.filter((m) => m.headers['event-id'] === 'poison-e2e').length, 2, 'the dead letter is back on its source topic');
  });
});

async function consumerProcessed(service: 'image-store' | 'registration-worker' | 'analytics-writer'): Promise<number> {
  return metricValue(stack.services[service].opsUrl, 'consumer_messages_processed_total');
}


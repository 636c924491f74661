/**
 * The worker on real test servers (mock Kafka, ClickHouse 18.16 migrated): events published as
 * the gateway publishes them become one command and one audit row per registration request,
 * and neither a device re-upload nor a replay from offset 0 by a second group adds any.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningConsumerService } from '@sophon/consumer-service';
import type { FaceRegistrationCommand } from '@sophon/event-contract';
import type { SampleOverrides } from '@sophon/event-contract/testing';
import { DEAD_LETTER_HEADERS, type ProducerRecord } from '@sophon/kafka';
import { BY_FEATURE_NOTE, decideRegistration, REFUSAL_REASONS, registrationRow } from '../src/decide.js';
import { strangerIdentityId } from '../src/stranger-identity.js';
import { faceUpdateEvent, FEATURE, gatewayMessages, historyEventMessage, POLICY, STRANGER_GROUP, strangerEvent } from './events.js';
import {
  count,
  DATABASE,
  metricValue,
  readyStatus,
  select,
  startServers,
  startTestWorker,
  startTopicReader,
  topicSize,
  TOPICS,
  untilCaughtUp,
  type TestServers,
} from './harness.js';

const BOX_B = { dev_sno: 'BOX-B', ep_id: 'BOX-B__10.0.0.2', device_ip: '10.0.0.2' };
const EVENTS = {
  good: strangerEvent({ fiqa_result: true }),
  goodAgain: strangerEvent({ fiqa_result: true }, { timestamp: 1565771514932 }),
  unassessed: strangerEvent({ fiqa_result: undefined }, { identity_id: '1602612037.5' }),
  poor: strangerEvent({ fiqa_result: false }, { identity_id: '1602612038.5' }),
  noFace: strangerEvent({ recognize_face: undefined }, { identity_id: '1602612039.5' }),
  byFeature: strangerEvent({ ...BOX_B, recognize_face: undefined, info: { feature: FEATURE } }),
  faceUpdate: faceUpdateEvent(BOX_B),
  /** Claims to enrol an unknown face as a VIP of the staff group: registered as a stranger. */
  claimsVip: strangerEvent({ fiqa_result: true, person_type: 5 }, { identity_id: '1602612040.5', identity_name: 'CEO', group_name: 'staff' }),
  /** Asks to re-face emp-0042 with a face the box took for a stranger: refused. */
  strangerReface: faceUpdateEvent({ ...BOX_B, person_type: 4 }, { timestamp: 1565771460000 }),
  /** The same with a recognised face that the box did not rate: refused. */
  unratedReface: faceUpdateEvent({ ...BOX_B, fiqa_result: undefined }, { timestamp: 1565771470000 }),
  plain: { want_action: '0' },
} satisfies Record<string, SampleOverrides>;

const eventId = (name: keyof typeof EVENTS) => historyEventMessage(EVENTS[name]).event_id;
const gatewayRecords = (): ProducerRecord[] => Object.values(EVENTS).flatMap(gatewayMessages);
/** Not JSON, but flagged as a registration request: it must be dead-lettered, not block the partition. */
const poison: ProducerRecord = { topic: TOPICS.historyEvents, key: 'BOX-C', value: Buffer.from('{"not": "a history event"'), headers: { 'event-id': 'poison', 'want-action': '1001' } };

let servers: TestServers;
let reader: Awaited<ReturnType<typeof startTopicReader>>;
const workers: RunningConsumerService[] = [];

before(async () => {
  servers = await startServers();
  reader = await startTopicReader(servers.kafka.brokers, [TOPICS.faceRegistrations, TOPICS.deadLetter, TOPICS.eventImages]);
});
after(async () => {
  await Promise.all(workers.map((worker) => worker.shutdown.stop('test over')));
  await reader?.close();
  await servers?.close();
});

const REGISTRATION_ROWS = `SELECT event_id, action, identity_id, outcome, reason, dev_sno, group_name, face_pic_key, event_time, event_time_ms, decided_at, decided_at_ms
  FROM registrations FINAL ORDER BY event_id, action`;
/** 18.16 returns DateTime as text in the server's zone (UTC in the test kit) and UInt64 quoted. */
const utcSeconds = (dateTime: string | number | undefined) => Date.parse(`${String(dateTime).replace(' ', 'T')}Z`) / 1000;

test('each registration request is decided once: one command, one audit row; a re-upload and a replay add nothing', async () => {
  await servers.producer.publish([...gatewayRecords(), poison]);
  const first = await startTestWorker(servers, 'registration-worker');
  workers.push(first);
  await untilCaughtUp(servers, 'registration-worker');

  // The commands: one per accepted request, keyed by identity, as decide() shapes them.
  const accepted = ['good', 'goodAgain', 'unassessed', 'byFeature', 'faceUpdate', 'claimsVip'] as const;
  assert.equal(await topicSize(servers.kafkaClient, TOPICS.faceRegistrations), accepted.length);
  const commands = await reader.read(TOPICS.faceRegistrations, accepted.length);
  for (const name of accepted) {
    const expected = decideRegistration(historyEventMessage(EVENTS[name]), POLICY)?.command;
    assert.ok(expected, name);
    const message = commands.find((candidate) => candidate.headers['registration-id'] === expected.registration_id);
    assert.ok(message, `a command for ${name}`);
    assert.equal(message.key, expected.identity_id);
    assert.equal(message.headers['event-id'], eventId(name));
    assert.deepEqual(JSON.parse(message.value.toString()), expected);
  }
  const good = commandOf(commands, 'good');
  assert.equal(good.identity_id, strangerIdentityId('3714be15-09b3-41ec-b9ce-62b668e5fa32', '1602612036.3828533'));
  assert.equal(commandOf(commands, 'goodAgain').identity_id, good.identity_id, 'the same stranger asked twice is one identity');
  const images = await reader.read(TOPICS.eventImages, gatewayRecords().filter((record) => record.topic === TOPICS.eventImages).length);
  const faceCrop = images.find((m) => m.headers['event-id'] === eventId('good') && m.headers['picture-kind'] === 'recognize_face');
  assert.equal(good.reg_photo_key, faceCrop?.headers['object-key'], 'the registered picture is the face crop the image store keeps');
  assert.notEqual(commandOf(commands, 'byFeature').identity_id, good.identity_id, 'the same stranger number on another box is someone else');
  assert.equal(commandOf(commands, 'byFeature').import_mode, true);
  assert.equal(commandOf(commands, 'faceUpdate').command, 'update-person-face');
  assert.equal(commandOf(commands, 'faceUpdate').identity_id, 'emp-0042');
  // The device's claims choose nobody's access: a stranger joins the configured group as a stranger.
  const claimsVip = commandOf(commands, 'claimsVip');
  assert.deepEqual([claimsVip.command, claimsVip.group_name, claimsVip.info], ['create-person', STRANGER_GROUP, { name: 'stranger', type: 4 }]);
  assert.ok(commands.every((message) => JSON.parse(message.value.toString()).source.event_id !== eventId('strangerReface')), 'no re-face of a person the box did not recognise');

  // The audit rows: every request, refused ones with their reason; want_action 0 has none.
  const rows = await select<Record<string, string | number>>(servers.db, REGISTRATION_ROWS);
  const byEvent = new Map(rows.map((row) => [row['event_id'], row]));
  assert.equal(rows.length, 10);
  assert.equal(byEvent.has(eventId('plain')), false);
  const expectRow = (name: keyof typeof EVENTS, outcome: string, reason: string) => {
    const row = byEvent.get(eventId(name));
    assert.ok(row, `a row for ${name}`);
    assert.deepEqual([row['outcome'], row['reason']], [outcome, reason], name);
    const audit = decideRegistration(historyEventMessage(EVENTS[name]), POLICY)?.audit;
    assert.ok(audit);
    const { event_time, event_time_ms, decided_at, decided_at_ms, ...rest } = row;
    assert.deepEqual({ ...rest, event_time: utcSeconds(event_time), event_time_ms: Number(event_time_ms) }, audit);
    assert.equal(utcSeconds(decided_at), Math.floor(Number(decided_at_ms) / 1000));
    assert.ok(Math.abs(Number(decided_at_ms) - Date.now()) < 60_000);
  };
  // JSONEachRow on 18.16 zero-fills a column the row leaves out: the rows must carry every column.
  const columns = await select<{ name: string }>(servers.db, `SELECT name FROM system.columns WHERE database = '${DATABASE}' AND table = 'registrations' ORDER BY name`);
  const sent = decideRegistration(historyEventMessage(EVENTS.good), POLICY);
  assert.ok(sent);
  assert.deepEqual(Object.keys(registrationRow(sent, 0)).sort(), columns.map((column) => column.name));
  expectRow('good', 'registered', '');
  expectRow('goodAgain', 'registered', '');
  expectRow('unassessed', 'registered', '');
  expectRow('byFeature', 'registered', BY_FEATURE_NOTE);
  expectRow('faceUpdate', 'updated', '');
  expectRow('poor', 'refused', REFUSAL_REASONS.poorQuality);
  expectRow('noFace', 'refused', REFUSAL_REASONS.noFace);
  expectRow('claimsVip', 'registered', '');
  assert.equal(byEvent.get(eventId('claimsVip'))?.['group_name'], STRANGER_GROUP);
  expectRow('strangerReface', 'refused', REFUSAL_REASONS.notRecognised);
  expectRow('unratedReface', 'refused', REFUSAL_REASONS.qualityUnknown);

  const deadLetters = await reader.read(TOPICS.deadLetter, 1);
  assert.equal(deadLetters.length, 1);
  assert.equal(deadLetters[0]?.headers['event-id'], 'poison');
  assert.equal(deadLetters[0]?.headers[DEAD_LETTER_HEADERS.consumerGroup], 'registration-worker');
  assert.match(deadLetters[0]?.headers[DEAD_LETTER_HEADERS.error] ?? '', /PermanentError: history-events message is not JSON/);

  assert.equal(await metricValue(first.opsUrl, 'registration_decisions_total', { action: 'new_stranger', outcome: 'registered' }), 5);
  assert.equal(await metricValue(first.opsUrl, 'registration_decisions_total', { action: 'new_stranger', outcome: 'refused' }), 2);
  assert.equal(await metricValue(first.opsUrl, 'registration_decisions_total', { action: 'face_update', outcome: 'updated' }), 1);
  assert.equal(await metricValue(first.opsUrl, 'registration_decisions_total', { action: 'face_update', outcome: 'refused' }), 2);
  assert.equal(await metricValue(first.opsUrl, 'consumer_messages_skipped_total'), 1, 'the want_action 0 event, filtered by header');
  assert.equal(await readyStatus(first.opsUrl), 200);

  // The devices upload everything again, and a second group replays the topic from offset 0.
  await servers.producer.publish(gatewayRecords());
  const replay = await startTestWorker(servers, 'registration-worker-replay');
  workers.push(replay);
  await Promise.all([untilCaughtUp(servers, 'registration-worker'), untilCaughtUp(servers, 'registration-worker-replay')]);

  assert.equal(await topicSize(servers.kafkaClient, TOPICS.faceRegistrations), accepted.length, 'no second command');
  assert.equal(await count(servers.db, 'SELECT count() AS n FROM registrations FINAL'), 10);
  assert.equal(await count(servers.db, 'SELECT count() AS n FROM registrations'), 10, 'not even a copy for FINAL to collapse');
  assert.deepEqual(await select(servers.db, REGISTRATION_ROWS), rows, 'the recorded decisions are untouched');
  assert.equal(await metricValue(first.opsUrl, 'registration_already_decided_total'), 10, 'the re-uploads');
  assert.equal(await metricValue(replay.opsUrl, 'registration_already_decided_total'), 20, 'the originals and the re-uploads');
  assert.equal(await metricValue(replay.opsUrl, 'registration_decisions_total'), 0);
});

function commandOf(commands: { value: Buffer }[], name: keyof typeof EVENTS): FaceRegistrationCommand {
  const id = eventId(name);
  const found = commands.map((message) => JSON.parse(message.value.toString()) as FaceRegistrationCommand).find((command) => command.source.event_id === id);
  assert.ok(found, `a command for ${name}`);
  return found;
}

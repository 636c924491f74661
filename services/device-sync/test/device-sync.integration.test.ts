/**
 * The service on real test servers (mock Kafka, s3rver, ClickHouse 18.16 migrated) pushing to
 * stand-in boxes: commands published as the registration worker publishes them end as persons
 * on the boxes, with the picture bytes from the bucket, once each across a replay; a box
 * offline gets its backlog when it comes back while another is served throughout; refusals
 * are recorded and dead-lettered with the box's error.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tinyImage } from '@sophon/event-contract/testing';
import { DEAD_LETTER_HEADERS } from '@sophon/kafka';
import { committedOffsets, metricValue } from '@sophon/test-kit';
import type { RunningDeviceSync } from '../src/device-sync.js';
import { RETRY_HEADERS } from '../src/retry-headers.js';
import { command, commandRecord, count, publish, RETRY_TOPIC, select, startServers, startTestDeviceSync, startTopicReader, TOPICS, until, type TestServers } from './harness.js';
import { startBoxApi, type BoxApi } from '@sophon/device-simulator';
import { topicSize } from './topic-size.js';

const BOXES = ['BOX-A', 'BOX-B', 'BOX-C', 'BOX-D', 'BOX-E'] as const;
let servers: TestServers;
let boxes: Record<(typeof BOXES)[number], BoxApi>;
let service: RunningDeviceSync;
let reader: Awaited<ReturnType<typeof startTopicReader>>;
/** A box no setting names: its address comes from its latest status report (the device registry). */
let reportingBox: BoxApi;
const env = () => ({
  DEVICE_SYNC_BOX_ADDRESSES: BOXES.map((name) => `${name}=${boxes[name].hostPort}`).join(','),
  DEVICE_SYNC_BOX_API_PORT: String(reportingBox.port),
  DEVICE_SYNC_REGISTRY_CACHE_MS: '0',
});

before(async () => {
  servers = await startServers();
  const started = await Promise.all(BOXES.map(() => startBoxApi()));
  boxes = Object.fromEntries(BOXES.map((name, i) => [name, started[i]!])) as typeof boxes;
  reportingBox = await startBoxApi();
  service = await startTestDeviceSync(servers, { ...env(), CONSUMER_GROUP_ID: 'device-sync' });
  reader = await startTopicReader(servers.kafka.brokers, [TOPICS.deadLetter, RETRY_TOPIC]);
});

after(async () => {
  await service?.shutdown.stop('test over');
  await reader?.close();
  await Promise.all([...Object.values(boxes ?? {}), reportingBox].filter(Boolean).map((box) => box.close()));
  await servers?.close();
});

const picture = (size: number) => tinyImage('jpeg', size);
const outcomes = (registrationId: string) =>
  select<{ dev_sno: string; outcome: string; error: string }>(servers.db, `SELECT dev_sno, outcome, error FROM device_deliveries WHERE registration_id = '${registrationId}' ORDER BY attempted_at_ms`);

test('a create-person command ends as a person on the box that saw the face, with the picture from the bucket', async () => {
  const cmd = command('BOX-A');
  const bytes = picture(700);
  await publish(servers, [{ cmd, picture: bytes }]);
  await until(() => boxes['BOX-A'].persons.has(cmd.identity_id), 'the person on BOX-A');
  const person = boxes['BOX-A'].persons.get(cmd.identity_id)!;
  assert.deepEqual(person.faces, [bytes]);
  assert.deepEqual(person.info, { name: cmd.info.name, type: 4, registration_id: cmd.registration_id });
  assert.deepEqual([...person.group_names], ['strangers']);
  const [request] = boxes['BOX-A'].requests.filter((r) => r['identity_id'] === cmd.identity_id);
  assert.equal(request?.['ignore_exist'], true);
  assert.equal(request?.['support_single_face'], false);
  assert.equal(request?.['import_mode'], false);
  await until(async () => (await outcomes(cmd.registration_id)).length === 1, 'the delivery row');
  assert.deepEqual(await outcomes(cmd.registration_id), [{ dev_sno: 'BOX-A', outcome: 'pushed', error: '' }]);
  const [view] = await select<Record<string, unknown>>(servers.db, `SELECT latest_outcome, pending, attempts, seen_by_dev_sno FROM v_device_deliveries WHERE registration_id = '${cmd.registration_id}'`);
  assert.deepEqual(view, { latest_outcome: 'pushed', pending: 0, attempts: '1', seen_by_dev_sno: 'BOX-A' });
});

test('a box known only from its status reports is reached at the IP of its latest report', async () => {
  // Two reports as the analytics writer stores them: the newer one's IP wins.
  const report = (id: string, ip: string, atMs: number) =>
    `('${id}', 'BOX-R', 'V5R3C01', ${Math.floor(atMs / 1000)}, ${atMs}, '${ip}', '', '', '', '', '', '', '', NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, '{}', 'device-status', 0, 0, ${atMs})`;
  const now = Date.now();
  await servers.db.command({ query: `INSERT INTO device_status VALUES ${report('r1', '10.255.255.1', now - 60_000)}, ${report('r2', '127.0.0.1', now)}` });
  const cmd = command('BOX-R');
  await publish(servers, [{ cmd, picture: picture(500) }]);
  await until(() => reportingBox.persons.has(cmd.identity_id), 'the person on the box found through the registry', 20_000);
  await until(async () => (await outcomes(cmd.registration_id)).some((row) => row.outcome === 'pushed'), 'the pushed row');
});

test('a status report whose box IP smuggles in a port and path gives the box no address: nothing is pushed where it points', async () => {
  const elsewhere = await startBoxApi();
  try {
    const atMs = Date.now();
    const ip = `::ffff:127.0.0.1]:${elsewhere.port}/#`;
    await servers.db.command({
      query: `INSERT INTO device_status VALUES ('r-smuggled', 'BOX-S', 'V5R3C01', ${Math.floor(atMs / 1000)}, ${atMs}, '${ip}', '', '', '', '', '', '', '', NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, '{}', 'device-status', 0, 0, ${atMs})`,
    });
    const cmd = command('BOX-S');
    await publish(servers, [{ cmd, picture: picture(500) }]);
    await until(async () => (await outcomes(cmd.registration_id)).some((row) => row.outcome === 'no_address'), 'the no_address row');
    assert.equal(elsewhere.requests.length, 0, 'no request reached the address the report pointed at');
  } finally {
    await elsewhere.close();
  }
});

test('a face update replaces the person’s faces with support_single_face, and a feature registration sends the vector', async () => {
  const create = command('BOX-D');
  const update = command('BOX-D', { command: 'update-person-face', identity_id: create.identity_id, support_single_face: true });
  const byFeature = command('BOX-D', { import_mode: true, reg_photo_key: null, feature: [0.25, -0.5, 1] });
  await publish(servers, [{ cmd: create, picture: picture(300) }]);
  await until(() => boxes['BOX-D'].persons.has(create.identity_id), 'the person on BOX-D');
  await publish(servers, [{ cmd: update, picture: picture(400) }, { cmd: byFeature }]);
  await until(() => boxes['BOX-D'].persons.get(create.identity_id)?.writes === 2, 'the face update');
  const person = boxes['BOX-D'].persons.get(create.identity_id)!;
  assert.deepEqual(person.faces, [picture(400)]);
  const updateRequest = boxes['BOX-D'].requests.find((r) => (r['info'] as { registration_id?: string }).registration_id === update.registration_id);
  assert.equal(updateRequest?.['support_single_face'], true);
  await until(() => boxes['BOX-D'].persons.has(byFeature.identity_id), 'the feature registration');
  assert.deepEqual(boxes['BOX-D'].persons.get(byFeature.identity_id)!.faces, [[0.25, -0.5, 1]]);
  const featureRequest = boxes['BOX-D'].requests.find((r) => r['identity_id'] === byFeature.identity_id);
  assert.equal(featureRequest?.['import_mode'], true);
  assert.equal(featureRequest?.['need_bring_pic'], false);
  assert.equal(featureRequest?.['reg_photo'], undefined);
});

test('a box offline gets its backlog when it comes back, while another box is served throughout', async () => {
  await boxes['BOX-B'].goOffline();
  const forB = [1, 2, 3].map((n) => ({ cmd: command('BOX-B'), picture: picture(500 + n) }));
  const forC = [1, 2, 3].map((n) => ({ cmd: command('BOX-C'), picture: picture(600 + n) }));
  await publish(servers, [...forB, ...forC]);
  await until(() => forC.every(({ cmd }) => boxes['BOX-C'].persons.has(cmd.identity_id)), 'BOX-C served');
  await until(async () => (await count(servers.db, `SELECT count() AS n FROM device_deliveries WHERE dev_sno = 'BOX-B' AND outcome = 'unreachable'`)) >= 3, 'BOX-B recorded unreachable');
  // Still offline: more for C, served at once.
  const moreForC = [{ cmd: command('BOX-C'), picture: picture(610) }];
  await publish(servers, moreForC);
  await until(() => boxes['BOX-C'].persons.has(moreForC[0]!.cmd.identity_id), 'BOX-C served while BOX-B is offline');
  assert.equal(boxes['BOX-B'].persons.size, 0);
  assert.ok(reader.on(RETRY_TOPIC).some((m) => m.headers[RETRY_HEADERS.target] === 'BOX-B'), 'BOX-B’s deliveries parked on the retry topic');

  await boxes['BOX-B'].comeBack();
  await until(() => forB.every(({ cmd }) => boxes['BOX-B'].persons.has(cmd.identity_id)), 'BOX-B’s backlog delivered', 20_000);
  for (const { cmd, picture: bytes } of forB) {
    const person = boxes['BOX-B'].persons.get(cmd.identity_id)!;
    assert.deepEqual(person.faces, [bytes]);
    assert.equal(person.writes, 1);
  }
  await until(async () => (await count(servers.db, `SELECT count() AS n FROM v_device_deliveries WHERE dev_sno = 'BOX-B' AND latest_outcome = 'pushed'`)) === 3, 'the view shows BOX-B’s backlog pushed');
});

test('deliveries queued behind a box’s first timeouts send nothing: the box is probed, not flooded', async () => {
  const box = boxes['BOX-E'];
  box.slow(1500); // past DEVICE_SYNC_BOX_TIMEOUT_MS (1000 here)
  const cmds = Array.from({ length: 6 }, (_, n) => ({ cmd: command('BOX-E'), picture: picture(900 + n) }));
  await publish(servers, cmds);
  const firstAttempts = `FROM device_deliveries WHERE dev_sno = 'BOX-E' AND attempt = 1`;
  await until(async () => (await count(servers.db, `SELECT count() AS n ${firstAttempts}`)) === cmds.length, 'a first attempt recorded for each');
  const errors = (await select<{ error: string }>(servers.db, `SELECT error ${firstAttempts}`)).map((row) => row.error);
  const sent = errors.filter((error) => !error.startsWith('not attempted')).length;
  assert.ok(sent <= 2, `${sent} of the ${cmds.length} first attempts sent a request, more than DEVICE_SYNC_BOX_CONCURRENCY (2): ${errors.join(' | ')}`);
  box.slow(0);
  await until(() => cmds.every(({ cmd }) => box.persons.has(cmd.identity_id)), 'each delivered once the box answers in time', 30_000);
});

test('a 200 that is not the box’s answer (a captive portal on its address) is recorded as pushed with what came back, and not re-sent', async () => {
  boxes['BOX-D'].impersonate('<html>captive portal</html>');
  const cmd = command('BOX-D');
  await publish(servers, [{ cmd, picture: picture(720) }]);
  await until(async () => (await outcomes(cmd.registration_id)).length >= 1, 'the attempt recorded');
  const [attempt] = await outcomes(cmd.registration_id);
  assert.equal(attempt?.outcome, 'pushed');
  assert.match(attempt!.error, /answered HTTP 200 without the box's \{"data": \.\.\.\}: <html>captive portal/);
  boxes['BOX-D'].impersonate(undefined);
  assert.equal(boxes['BOX-D'].requests.filter((r) => r['identity_id'] === cmd.identity_id).length, 1);
  assert.equal(await metricValue(service.opsUrl, 'device_sync_unconfirmed_pushes_total'), 1);
});

test('a refusal is recorded with the box’s error and dead-lettered for that box; an unknown box is parked as no_address', async () => {
  const refused = command('BOX-C');
  boxes['BOX-C'].refuse(refused.identity_id);
  const unknown = command('BOX-NOWHERE');
  await publish(servers, [{ cmd: refused, picture: picture(800) }, { cmd: unknown, picture: picture(801) }]);
  const deadLetter = await reader.waitFor((all) => all.find((m) => m.topic === TOPICS.deadLetter && m.headers['registration-id'] === refused.registration_id), 'the dead letter');
  assert.equal(deadLetter.headers[RETRY_HEADERS.target], 'BOX-C');
  assert.match(deadLetter.headers[DEAD_LETTER_HEADERS.error] ?? '', /FAILED_PRECONDITION 1006: face quality too low/);
  await until(async () => (await outcomes(refused.registration_id)).length === 1, 'the refusal row');
  assert.equal((await outcomes(refused.registration_id))[0]?.outcome, 'refused');
  assert.equal(boxes['BOX-C'].persons.has(refused.identity_id), false);

  const parked = await reader.waitFor((all) => all.find((m) => m.topic === RETRY_TOPIC && m.headers['registration-id'] === unknown.registration_id), 'the parked delivery');
  assert.equal(parked.headers[RETRY_HEADERS.target], 'BOX-NOWHERE');
  await until(async () => (await outcomes(unknown.registration_id)).length > 0, 'the no_address row');
  assert.deepEqual((await outcomes(unknown.registration_id))[0], { dev_sno: 'BOX-NOWHERE', outcome: 'no_address', error: 'no address known for box BOX-NOWHERE' });
});

test('a command that breaks the contract is dead-lettered naming the field; the next command of that identity goes through', async () => {
  const good = command('BOX-D');
  const badType = { ...commandRecord(good), value: Buffer.from(JSON.stringify({ ...good, info: { name: 'x', type: 9 } })) };
  const notJson = { ...commandRecord(good), headers: { ...commandRecord(good).headers, 'registration-id': `${good.registration_id}:garbled` }, value: Buffer.from('{"schema_version": 1,') };
  await servers.producer.publish([badType, notJson]);
  await publish(servers, [{ cmd: good, picture: picture(900) }]);
  const deadLetters = await reader.waitFor((all) => {
    const found = all.filter((m) => m.topic === TOPICS.deadLetter && m.headers['event-id'] === good.source.event_id);
    return found.length === 2 ? found : undefined;
  }, 'both dead letters');
  const errors = deadLetters.map((m) => m.headers[DEAD_LETTER_HEADERS.error] ?? '').sort();
  assert.match(errors[0] ?? '', /^PermanentError: face-registration field info must be \{name: string, type: 1 to 5\}/);
  assert.match(errors[1] ?? '', /^PermanentError: face-registration is not JSON/);
  await until(() => boxes['BOX-D'].persons.has(good.identity_id), 'the valid command pushed');
  assert.deepEqual(boxes['BOX-D'].persons.get(good.identity_id)?.faces, [picture(900)]);
});

test('a replay of every command by a new group pushes nothing twice', async () => {
  // Refused deliveries are tried again (so that a dead letter replayed after a fix goes through): leave them out.
  const delivered = (name: (typeof BOXES)[number]) => boxes[name].requests.filter((r) => boxes[name].persons.has(r['identity_id'] as string)).length;
  const writes = () => Object.fromEntries(BOXES.flatMap((name) => [...boxes[name].persons.values()].map((p) => [`${name}/${p.identity_id}`, p.writes])));
  const before = { requests: Object.fromEntries(BOXES.map((name) => [name, delivered(name)])), writes: writes() };
  await service.shutdown.stop('replay');
  service = await startTestDeviceSync(servers, { ...env(), CONSUMER_GROUP_ID: 'device-sync-replay' });
  const brokers = servers.kafka.brokers;
  const end = await topicSize(brokers, TOPICS.faceRegistrations);
  await until(async () => (await committedOffsets(brokers, 'device-sync-replay', TOPICS.faceRegistrations)) === end, 'the replay to finish', 20_000);
  const retryEnd = await topicSize(brokers, RETRY_TOPIC);
  await until(async () => (await committedOffsets(brokers, 'device-sync-replay-retry', RETRY_TOPIC)) >= retryEnd, 'the retry topic replayed', 20_000);
  assert.deepEqual({ requests: Object.fromEntries(BOXES.map((name) => [name, delivered(name)])), writes: writes() }, before);
  assert.equal(Object.keys(before.writes).length, 17); // A 1, B 3, C 4, D 3, E 6
});

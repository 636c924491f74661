/**
 * A fleet on the local stack (deploy/local/stack.ts, every service a process of its own):
 * - issue 9: an event of every firmware format lands in history_events with its source format
 *   and normalised score; both status-report formats posted at the gateway become the device registry in
 *   ClickHouse, and a box that stops reporting is alerted as silent once past the threshold;
 * - issue 10: the registration loop, from a want_action event posted at the gateway to a person
 *   on a stand-in box, exactly once across a replay, never for what the worker refused; and a
 *   trial with `pnpm simulate --box-api`, whose simulated boxes receive their own registrations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { ClickHouseClient } from '@sophon/clickhouse';
import { decodeFaceRegistration, DEFAULT_TOPICS } from '@sophon/event-contract';
import { sampleHistoryEvent, tinyImage } from '@sophon/event-contract/testing';
import { createKafkaClient, readTopicToEnd } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { freePort, metricValue, waitFor as until } from '@sophon/test-kit';
import { memoryOutput, runSimulatorCli, startBoxApi, type BoxApi } from '@sophon/device-simulator';
import { clickhouseClient } from '../local/clients.js';
import { DATABASE, startLocalStack, type LocalStack } from '../local/stack.js';

/** The box whose create-person API the stand-in plays (device-sync's default policy: the box that saw the face). */
const REG_BOX = 'BOX-FLEET-REG';
const V5R3_BOX = 'BOX-FLEET-V5R3';
const V6R2_BOX = 'BOX-FLEET-V6R2';

let stack: LocalStack;
let clickhouse: ClickHouseClient;
let box: BoxApi;

before(async () => {
  box = await startBoxApi();
  stack = await startLocalStack({
    fastConsumers: true,
    boxAddresses: `${REG_BOX}=${box.hostPort}`,
    output: process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore',
    logLevel: process.env.TEST_LOG_LEVEL ?? 'warn',
  });
  clickhouse = clickhouseClient(stack.clickhouse, DATABASE);
  for (const service of ['image-store', 'analytics-writer', 'registration-worker', 'device-sync'] as const) await ready(service);
});
after(async () => {
  await clickhouse?.close();
  await stack?.stop();
  await box?.close();
});

const ready = (service: keyof LocalStack['services']) =>
  until(async () => (await fetch(`${stack.services[service].opsUrl}/readyz`)).ok, `${service} ready`, 30_000);
const select = async <T>(query: string) => (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
const example = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../../packages/event-contract/test/vendor-examples/${name}.json`, import.meta.url), 'utf8'));

async function post(path: string, body: unknown): Promise<any> {
  const response = await fetch(`${stack.gatewayUrl}${path}?token=${stack.token}`, { method: 'POST', body: JSON.stringify(body) });
  const answer = (await response.json()) as any;
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer.data;
}

describe('events of every firmware format', () => {
  // The vendors' examples, with a real picture where they show a placeholder, from boxes of their own.
  const PICTURE_FIELDS = /^(reg_pic|spot_pic|ir_pic|recognize_face|reg_image|spot_image|ir_image|recognize_face_image)$/;
  const withPictures = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(withPictures);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [key, PICTURE_FIELDS.test(key) && typeof field === 'string' && field !== '' ? tinyImage('jpeg', 300).toString('base64') : withPictures(field)]),
    );
  };

  test('V5R3C01, V2R2C01, V5R6C01 and V6R2C01 events land in history_events with their format and a 0–1 score', async () => {
    const v2r2 = withPictures(example('V2R2C01-history-event')) as Record<string, any>;
    v2r2.ext_data = { ...v2r2.ext_data, dev_sno: 'BOX-FLEET-V2R2' };
    const sent = {
      V5R3C01: sampleHistoryEvent({ ext_data: { dev_sno: 'BOX-FLEET-V5R3', ep_id: 'BOX-FLEET-V5R3__192.168.1.101' } }),
      V2R2C01: v2r2,
      V5R6C01: { ...(withPictures(example('V5R6C01-history-event')) as object), dev_sno: 'BOX-FLEET-V5R6' },
      V6R2C01: { ...(withPictures(example('V6R2C01-history-event')) as object), mq_license_key: 'BOX-FLEET-V6R2' },
    };
    const ids: Record<string, string> = {};
    for (const [format, body] of Object.entries(sent)) {
      const answer = await post('/EventServer/api/HistoryEvent', body);
      assert.equal(answer.status, 'accepted', `${format}: ${JSON.stringify(answer)}`);
      ids[format] = answer.event_id;
    }
    const inList = Object.values(ids).map((id) => `'${id}'`).join(', ');
    await until(async () => (await select(`SELECT event_id FROM history_events FINAL WHERE event_id IN (${inList})`)).length === 4, 'a row per format');
    const rows = await select<{ event_id: string; source_format: string; score: number; score_normalised: number; dev_sno: string }>(
      `SELECT event_id, source_format, score, score_normalised, dev_sno FROM history_events FINAL WHERE event_id IN (${inList})`,
    );
    for (const [format, id] of Object.entries(ids)) {
      const row = rows.find((r) => r.event_id === id)!;
      assert.equal(row.source_format, format);
      assert.ok(row.score_normalised >= 0 && row.score_normalised <= 1, `${format}: ${row.score_normalised}`);
      assert.equal(row.score_normalised, row.score > 1 ? row.score / 100 : row.score, format);
    }
    assert.equal(rows.find((r) => r.event_id === ids['V6R2C01'])!.score, 94.8, 'the score as the box sent it');
  });
});

describe('status reports: the device registry and silent boxes', () => {
  const reports: Record<string, string> = {};

  test('a V5R3C01 and a V6R2C01 report become device_status and device_cameras rows; the latest shows the box IP', async () => {
    for (const [devSno, body] of [
      [V5R3_BOX, { ...example('V5R3C01-device-status'), dev_sno: V5R3_BOX }],
      [V6R2_BOX, { ...example('V6R2C01-device-status'), mq_license_key: V6R2_BOX }],
    ] as const) {
      const answer = await post('/DeviceStatus', body);
      assert.equal(answer.status, 'accepted', JSON.stringify(answer));
      reports[devSno] = answer.event_id;
    }
    const inList = `('${V5R3_BOX}', '${V6R2_BOX}')`;
    await until(async () => (await select(`SELECT dev_sno FROM device_status FINAL WHERE dev_sno IN ${inList}`)).length === 2, 'a device_status row per report');
    await until(async () => (await select(`SELECT dev_sno FROM device_cameras FINAL WHERE dev_sno IN ${inList}`)).length === 2, 'a device_cameras row per camera');

    const status = await select<Record<string, any>>(`SELECT * FROM device_status FINAL WHERE dev_sno IN ${inList} ORDER BY dev_sno`);
    const [v5r3, v6r2] = [status.find((r) => r.dev_sno === V5R3_BOX)!, status.find((r) => r.dev_sno === V6R2_BOX)!];
    assert.equal(v5r3.report_id, reports[V5R3_BOX]);
    assert.equal(v5r3.source_format, 'V5R3C01');
    assert.equal(v5r3.box_sn, 'SZCCKQRAIJBAH0002');
    assert.equal(v5r3.firmware_version, 'V2R1C01');
    assert.equal(v5r3.disk_free_gb, 9.41);
    assert.deepEqual([v5r3.cameras_total, v5r3.cameras_online, v5r3.cameras_offline].map(Number), [1, 1, 0]);
    assert.equal(v6r2.report_id, reports[V6R2_BOX]);
    assert.equal(v6r2.source_format, 'V6R2C01');
    assert.equal(v6r2.box_ip, '', 'a V6R2C01 report names no box IP');

    const cameras = await select<Record<string, any>>(`SELECT * FROM device_cameras FINAL WHERE dev_sno IN ${inList} ORDER BY dev_sno`);
    assert.deepEqual(
      cameras.map((c) => [c.dev_sno, c.report_id, c.ep_id, c.ip, c.status, c.url]),
      [
        [V5R3_BOX, reports[V5R3_BOX], 'ZKZCPI000120190807142601__192.168.1.101', '192.168.1.101', 'online', 'rtsp://192.168.1.101:554/ch2'],
        [V6R2_BOX, reports[V6R2_BOX], `${V6R2_BOX}__2c1a6a12-ecf4-4490-a2fc-8d7a5023bfcd`, '192.168.1.100', 'online', 'rtsp://192.168.1.100:554/ch2'],
      ],
    );

    const latest = await select<{ box_ip: string; report_id: string }>(`SELECT box_ip, report_id FROM v_device_status_latest WHERE dev_sno = '${V5R3_BOX}'`);
    assert.deepEqual(latest, [{ box_ip: '192.168.1.251', report_id: reports[V5R3_BOX] }], "the box's IP from gateway_ip, trimmed");
  });

  test('a box that stops reporting is alerted as silent once the silent_minutes threshold passes', async () => {
    const silentAlerts = () =>
      select<{ dev_sno: string; value: number; threshold: number }>(`SELECT dev_sno, value, threshold FROM v_device_health_alerts WHERE alert = 'silent_box' AND dev_sno = '${V5R3_BOX}'`);
    // Under the default threshold (15 minutes) the box that just reported is not silent.
    const [silence] = await select<{ silent: number; threshold_minutes: number }>(`SELECT silent, threshold_minutes FROM v_device_silence WHERE dev_sno = '${V5R3_BOX}'`);
    assert.deepEqual(silence, { silent: 0, threshold_minutes: 15 });
    assert.deepEqual(await silentAlerts(), []);

    // The documented way to change a threshold: 3 seconds without a report or an event.
    await clickhouse.command({ query: `INSERT INTO ${DATABASE}.device_health_settings VALUES ('silent_minutes', 0.05, now())` });
    await until(async () => (await silentAlerts()).length === 1, `${V5R3_BOX} alerted as silent`, 30_000);
    const [alert] = await silentAlerts();
    assert.equal(alert!.threshold, 0.05);
    assert.ok(alert!.value > alert!.threshold, `minutes silent ${alert!.value} over the threshold`);
  });
});

describe('the registration loop: events at the gateway end as persons on the box', () => {
  const base = Date.now() - 10 * 60_000;
  let minute = 0;
  const event = (change: (e: any) => void) => {
    const e = structuredClone(sampleHistoryEvent()) as any;
    e.timestamp = base + ++minute * 60_000;
    e.ext_data.dev_sno = REG_BOX;
    e.ext_data.ep_id = `${REG_BOX}__192.168.7.1`;
    change(e);
    return e;
  };
  const stranger = (boxIdentity: string, face: Buffer, fiqa: boolean) =>
    event((e) => {
      e.want_action = '1001';
      e.identity_id = boxIdentity;
      e.ext_data.person_type = 4;
      e.ext_data.fiqa_result = fiqa;
      e.ext_data.recognize_face = face.toString('base64');
    });
  const faceUpdate = (face: Buffer) =>
    event((e) => {
      e.want_action = '1002';
      e.identity_id = 'staff-0007';
      e.identity_name = 'Ada';
      e.group_name = 'staff';
      e.ext_data.person_type = 1;
      e.ext_data.fiqa_result = true;
      e.ext_data.recognize_face = face.toString('base64');
    });
  const postEvents = async (list: unknown[]): Promise<string[]> => {
    const answer = await post('/EventServer/api/HistoryEvent', list);
    assert.equal(answer.quarantined, 0, JSON.stringify(answer));
    return answer.events.map((e: { event_id: string }) => e.event_id);
  };
  const decision = async (eventId: string) => {
    let row: { identity_id: string; outcome: string; reason: string } | undefined;
    await until(async () => {
      [row] = await select<NonNullable<typeof row>>(`SELECT identity_id, outcome, reason FROM registrations FINAL WHERE event_id = '${eventId}'`);
      return row !== undefined;
    }, `the registration decision on ${eventId}`);
    return row!;
  };
  const kafka = () => createKafkaClient({ brokers: stack.kafka.brokers, clientId: 'fleet-e2e' }, createLogger({ service: 'fleet-e2e', level: 'silent' }));
  const commands = async () => (await readTopicToEnd(kafka(), DEFAULT_TOPICS.faceRegistrations)).map((m) => decodeFaceRegistration(m.value));

  test('a 1001 with a face becomes a person on the box with exactly its bytes; a 1001 refused for quality is never pushed', async () => {
    const face = tinyImage('jpeg', 1500);
    const [goodId, refusedId] = await postEvents([stranger('1602612036.3828533', face, true), stranger('1602612036.9999999', tinyImage('jpeg', 1501), false)]);

    const registered = await decision(goodId!);
    assert.equal(registered.outcome, 'registered');
    assert.match(registered.identity_id, /^stranger-[0-9a-f]{24}$/);
    await until(() => box.persons.has(registered.identity_id), 'the stranger created on the box', 30_000);
    const person = box.persons.get(registered.identity_id)!;
    assert.deepEqual(person.faces, [face], 'the face picture, byte for byte');
    assert.deepEqual([...person.group_names], ['strangers']);
    assert.equal(person.info['name'], 'stranger');
    assert.equal(person.info['type'], 4);
    assert.equal(person.writes, 1);

    const refused = await decision(refusedId!);
    assert.equal(refused.outcome, 'refused');
    assert.match(refused.reason, /quality/);
    assert.ok(refused.identity_id !== '' && refused.identity_id !== registered.identity_id);
    assert.deepEqual((await commands()).filter((c) => c.source.event_id === refusedId), [], 'no command for the refused event');
    assert.ok(!box.requests.some((r) => r['identity_id'] === refused.identity_id), 'nothing about the refused face reached the box');
    assert.ok(!box.persons.has(refused.identity_id));
  });

  test("a 1002 for a recognised person with fiqa_result true replaces the person's face (support_single_face)", async () => {
    const [first, second] = [tinyImage('jpeg', 1600), tinyImage('jpeg', 1700)];
    const [firstId] = await postEvents([faceUpdate(first)]);
    assert.equal((await decision(firstId!)).outcome, 'updated');
    await until(() => box.persons.get('staff-0007')?.writes === 1, 'the first face update on the box', 30_000);
    const [secondId] = await postEvents([faceUpdate(second)]);
    assert.equal((await decision(secondId!)).outcome, 'updated');
    await until(() => box.persons.get('staff-0007')?.writes === 2, 'the second face update on the box', 30_000);

    const person = box.persons.get('staff-0007')!;
    assert.deepEqual(person.faces, [second], 'the newest face replaced the earlier one');
    assert.deepEqual([...person.group_names], ['staff']);
    assert.equal(person.info['name'], 'Ada');
    const updates = box.requests.filter((r) => r['identity_id'] === 'staff-0007');
    assert.equal(updates.length, 2);
    for (const request of updates) assert.equal(request['support_single_face'], true);
  });

  test('device-sync replaying face-registrations under a new consumer group creates nothing twice on the box', async () => {
    const all = await commands();
    assert.equal(all.length, 3, 'the stranger and the two face updates, nothing for the refusal');
    const requestsBefore = box.requests.length;
    const writesBefore = new Map([...box.persons].map(([id, p]) => [id, p.writes]));

    await stack.services['device-sync'].stop();
    await stack.services['device-sync'].start({ CONSUMER_GROUP_ID: 'device-sync-replay' });
    await ready('device-sync');
    // The new group reads the topic from the start: each command found already delivered, skipped.
    await until(
      async () => (await metricValue(stack.services['device-sync'].opsUrl, 'device_sync_already_delivered_total')) >= all.length,
      'the replay found every command already delivered',
      40_000,
    );

    assert.equal(box.requests.length, requestsBefore, 'no request reached the box during the replay');
    assert.deepEqual(new Map([...box.persons].map(([id, p]) => [id, p.writes])), writesBefore, 'no person created or written twice');
    assert.equal(box.persons.size, 2);
  });
});

describe('a trial with the simulator: simulated boxes receive their registrations', () => {
  test('pnpm simulate --box-api: the new strangers of simulated boxes end as persons on their own APIs, found through their status reports', async () => {
    const port = await freePort();
    // The boxes' API port, as a site sets it; addresses re-read at once (the boxes report just before their events).
    await stack.services['device-sync'].stop();
    await stack.services['device-sync'].start({ CONSUMER_GROUP_ID: 'device-sync-trial', DEVICE_SYNC_BOX_API_PORT: String(port), DEVICE_SYNC_REGISTRY_CACHE_MS: '0' });
    await ready('device-sync');
    const output = memoryOutput();
    const args = ['--url', stack.gatewayUrl, '--token', stack.token, '--devices', '3', '--formats', 'V5R3C01', '--profile', 'full', '--events', '100', '--rate', '25', '--seed', '11'];
    const code = await runSimulatorCli([...args, '--box-api', '--box-api-port', String(port), '--box-api-linger', '15', '--json'], { output });
    assert.equal(code, 0, output.errors.join('\n'));
    const summary = JSON.parse(output.lines.join('\n'));

    const pushed = await select<{ dev_sno: string; box_address: string; identity_id: string }>(
      `SELECT dev_sno, box_address, identity_id FROM device_deliveries WHERE dev_sno LIKE 'SIM-%' AND outcome = 'pushed'`,
    );
    assert.ok(pushed.length > 0, 'registrations pushed to simulated boxes');
    for (const row of pushed) assert.match(row.box_address, new RegExp(`^http://127\\.18\\.\\d+\\.\\d+:${port}$`), 'at the address its status reports announced');
    // (A push after the summary was taken, a retry of a picture not yet stored, say, may add a row: at most.)
    const pushedPersons = new Set(pushed.map((row) => `${row.dev_sno}/${row.identity_id}`)).size;
    assert.ok(summary.boxApi.persons > 0 && summary.boxApi.persons <= pushedPersons, `${summary.boxApi.persons} persons on the boxes, ${pushedPersons} pushed`);
    assert.ok(summary.boxApi.boxesWithPersons > 0 && summary.boxApi.requests >= summary.boxApi.persons);
  });
});

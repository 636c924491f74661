import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createClickHouseClient, migrate, type ClickHouseClient } from '@sophon/clickhouse';
import { createDeviceStatusAdapter } from '@sophon/event-contract';
import type { ConsumedMessage, MessageSink, SinkContext } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';
import { startClickHouse, type ClickHouseServer } from '@sophon/test-kit';
import { createDeviceStatusSink } from '../src/device-status-sink.js';
import { createTopicDispatchSink } from '../src/topic-dispatch-sink.js';

// Issue 9: both vendor status reports, as the gateway's adapter publishes them, into ClickHouse 18.16.
const logger = createLogger({ service: 'device-status-sink-test', level: 'silent' });
const DATABASE = 'sophon';
const adapter = createDeviceStatusAdapter({ topics: { deviceStatus: 'device-status', quarantine: 'q' } });
const example = (format: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../../../packages/event-contract/test/vendor-examples/${format}-device-status.json`, import.meta.url), 'utf8'));
const context = {} as SinkContext; // the sink reads nothing from it

let offset = 0;
function consumed(raw: unknown, receivedAt: number): ConsumedMessage {
  const result = adapter.parse(raw, { receivedAt });
  assert.ok(result.ok, JSON.stringify(result));
  const [message] = result.messages;
  return { topic: message!.topic, partition: 0, offset: String(offset++), key: message!.key, value: message!.value, headers: message!.headers, timestamp: receivedAt };
}

let server: ClickHouseServer;
let client: ClickHouseClient;
const select = async (sql: string) => (await client.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>();

before(async () => {
  server = await startClickHouse();
  client = createClickHouseClient({ url: server.url, username: 'default', password: '' }, logger);
  await migrate({ client, database: DATABASE, logger });
});
after(async () => {
  await client?.close();
  await server?.close();
});

describe('device-status sink', () => {
  test('both formats land as one status row and one row per camera; a replay does not double them; garbage is rejected', async () => {
    const now = Date.now();
    const v5r3 = consumed({ ...example('V5R3C01'), gateway_ext_data: { ...example('V5R3C01').gateway_ext_data, temperature: 37 } }, now - 60_000);
    const v6r2 = consumed({ ...example('V6R2C01'), sub_devices: [{ ...example('V6R2C01').sub_devices[0], media_device_status: 'offline' }] }, now);
    const garbage = { ...v6r2, offset: '99', value: Buffer.from('{"kind":"device-status"}') };
    const sink: MessageSink = createTopicDispatchSink({ 'device-status': createDeviceStatusSink({ client, database: DATABASE }) });

    const result = await sink.handleBatch([v5r3, v6r2, garbage], context);
    assert.deepEqual(result?.rejected?.map((r) => r.message.offset), ['99']);
    assert.match(String(result?.rejected?.[0]?.error), /not a storable device status report: invalid device-status message: \/schema_version/);
    await sink.handleBatch([v5r3, v6r2], context); // a replay after a restart
    await client.command({ query: `OPTIMIZE TABLE ${DATABASE}.device_status FINAL` });
    await client.command({ query: `OPTIMIZE TABLE ${DATABASE}.device_cameras FINAL` });

    assert.deepEqual(await select(`SELECT count() AS n FROM ${DATABASE}.device_status`), [{ n: '2' }]);
    assert.deepEqual(await select(`SELECT dev_sno, ep_id, status, camera_type FROM ${DATABASE}.device_cameras ORDER BY dev_sno`), [
      { dev_sno: 'AFVKQF000120210604151110', ep_id: 'AFVKQF000120210604151110__2c1a6a12-ecf4-4490-a2fc-8d7a5023bfcd', status: 'offline', camera_type: 'rtsp' },
      { dev_sno: 'ZKZCPI000120190807142601', ep_id: 'ZKZCPI000120190807142601__192.168.1.101', status: 'online', camera_type: '2' },
    ]);
    assert.deepEqual(await select(`SELECT dev_sno, source_format, box_ip, firmware_version, disk_free_gb, temperature, cameras_online, cameras_offline FROM ${DATABASE}.v_device_status_latest ORDER BY dev_sno`), [
      { dev_sno: 'AFVKQF000120210604151110', source_format: 'V6R2C01', box_ip: '', firmware_version: '', disk_free_gb: null, temperature: null, cameras_online: 0, cameras_offline: 1 },
      { dev_sno: 'ZKZCPI000120190807142601', source_format: 'V5R3C01', box_ip: '192.168.1.251', firmware_version: 'V2R1C01', disk_free_gb: 9.41, temperature: 37, cameras_online: 1, cameras_offline: 0 },
    ]);
    assert.deepEqual(await select(`SELECT alert, dev_sno, subject FROM ${DATABASE}.v_device_health_alerts`), [
      { alert: 'camera_offline', dev_sno: 'AFVKQF000120210604151110', subject: 'AFVKQF000120210604151110__2c1a6a12-ecf4-4490-a2fc-8d7a5023bfcd' },
    ]);
    const [report] = await select(`SELECT report_json FROM ${DATABASE}.device_status WHERE source_format = 'V5R3C01'`);
    assert.equal(JSON.parse(String(report!['report_json'])).gateway_sn, 'SZCCKQRAIJBAH0002');
  });

  test('a batch of a topic the dispatcher has no sink for fails loudly (retried), naming the topic', async () => {
    const sink = createTopicDispatchSink({ 'device-status': createDeviceStatusSink({ client, database: DATABASE }) });
    const message = { ...consumed(example('V6R2C01'), Date.now()), topic: 'elsewhere' };
    await assert.rejects(sink.handleBatch([message], context), /no sink for topic elsewhere \(the consumer reads device-status\)/);
  });
});

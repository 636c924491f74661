import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { freePort, metricValue as metric, startClickHouse, startKafka, type ClickHouseServer, type KafkaServer } from '@sophon/test-kit';
import { event, historyMessages, producerFor, query, rows, TOPICS, until, writerEnv } from './harness.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let kafka: KafkaServer;
let clickhouse: ClickHouseServer;
before(async () => {
  [kafka, clickhouse] = await Promise.all([startKafka({ topics: TOPICS }), startClickHouse()]);
});
after(() => Promise.all([kafka?.close(), clickhouse?.close()]));

async function spawnWriter(overrides: Record<string, string>): Promise<{ child: ChildProcess; ops: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', MAIN], {
    env: { ...process.env, ...writerEnv(kafka, clickhouse, { OPS_PORT: String(port), ...overrides }) },
    stdio: 'ignore',
  });
  return { child, ops: `http://127.0.0.1:${port}` };
}

const count = async (sql: string) => Number((await rows<{ n: string }>(query(clickhouse), sql))[0]?.n ?? 0);

test('a writer killed with rows in hand loses nothing and doubles nothing after its restart', async () => {
  const producer = await producerFor(kafka);
  await producer.publish(Array.from({ length: 50 }, (_, i) => event('BOX-KILL', i)).flatMap(historyMessages));
  await producer.disconnect();

  // This writer holds its rows: it would insert only after a minute or a million rows.
  const first = await spawnWriter({ ANALYTICS_FLUSH_INTERVAL_MS: '60000', ANALYTICS_BATCH_ROWS: '1000000' });
  try {
    await until(async () => (await metric(first.ops, 'consumer_messages_consumed_total')) === 50, 'all 50 consumed', 30_000);
  } finally {
    first.child.kill('SIGKILL');
  }
  await new Promise((resolve) => first.child.once('exit', resolve));
  assert.equal(await count('SELECT count() AS n FROM history_events'), 0, 'nothing was inserted before the kill');

  const second = await spawnWriter({});
  try {
    await until(async () => (await count('SELECT count() AS n FROM history_events FINAL')) === 50, 'all 50 rows after the restart', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await count('SELECT count() AS n FROM history_events'), 50, 'and no row twice');
  } finally {
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  }
});

test('a writer killed, restarted, killed again while it rejoins, and restarted gets back into its group and stores what follows', async () => {
  // A session timeout above kafkajs' former 10 s group-request timeout, as in production (30 s):
  // the broker then holds a joining member's SyncGroup longer than the member used to wait.
  const settings = { CONSUMER_SESSION_TIMEOUT_MS: '12000', CONSUMER_HEARTBEAT_INTERVAL_MS: '1000', CONSUMER_MAX_WAIT_MS: '100' };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const kill = async (child: ChildProcess) => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const first = await spawnWriter(settings);
  try {
    await until(async () => (await fetch(`${first.ops}/readyz`).catch(() => undefined))?.status === 200, 'the first writer in its group', 30_000);
  } finally {
    await kill(first.child);
  }
  await pause(1000);
  const second = await spawnWriter(settings);
  await pause(4000); // joining its group, with the first one's member not yet timed out
  await kill(second.child);
  await pause(1000);
  const third = await spawnWriter(settings);
  try {
    const producer = await producerFor(kafka);
    await producer.publish(Array.from({ length: 20 }, (_, i) => event('BOX-REJOIN', i)).flatMap(historyMessages));
    await producer.disconnect();
    await until(async () => (await count(`SELECT count() AS n FROM history_events FINAL WHERE dev_sno = 'BOX-REJOIN'`)) === 20, 'all 20 rows from the third writer', 90_000);
  } finally {
    third.child.kill('SIGTERM');
    await new Promise((resolve) => third.child.once('exit', resolve));
  }
});

/**
 * The product without Docker: the local servers of the test kit (mock Kafka on a fixed port)
 * and the gateway as its own process, with a development token. Ctrl-C stops everything.
 *
 *   pnpm dev            # gateway on :9528, Kafka on 127.0.0.1:19092
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startKafka } from '@sophon/test-kit';

const root = fileURLToPath(new URL('../../', import.meta.url));
const topics: { name: string; partitions: number }[] = JSON.parse(readFileSync(`${root}deploy/kafka/topics.json`, 'utf8'));
const GATEWAY_PORT = process.env.GATEWAY_PORT ?? '9528';
const DEV_TOKEN = process.env.DEV_TOKEN ?? 'dev-token';

const kafka = await startKafka({ port: Number(process.env.KAFKA_PORT ?? 19092), topics: Object.fromEntries(topics.map((t) => [t.name, 4])) });
const services: ChildProcess[] = [];

function startService(name: string, entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', `${root}${entry}`], {
    env: { ...process.env, KAFKA_BROKERS: kafka.brokers.join(','), ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${name} exited (${code ?? signal}); stopping the stack\n`);
      void stop(1);
    }
  });
  services.push(child);
}

startService('gateway', 'services/gateway/src/main.ts', {
  GATEWAY_PORT,
  GATEWAY_DEVICE_TOKENS: `${DEV_TOKEN}:*`,
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
});

process.stdout.write(
  [
    '',
    `gateway          http://127.0.0.1:${GATEWAY_PORT}/EventServer/api/HistoryEvent?token=${DEV_TOKEN}`,
    `kafka bootstrap  ${kafka.brokers.join(',')}`,
    `ops              http://127.0.0.1:${GATEWAY_PORT}/healthz  /readyz  /metrics`,
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    services.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await kafka.close();
  process.exit(code);
}
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

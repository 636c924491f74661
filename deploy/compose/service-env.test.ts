/**
 * Every container built from the product image starts its real configuration loader with
 * exactly the environment docker-compose.yml gives it: each variable is accepted and known to
 * the loader's schema (a typo would otherwise be silently ignored), and every host and port a
 * service is pointed at is a service of the file listening there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { ANALYST_USER, DEFAULT_MIGRATIONS_DIR, readAnalystGrants, WRITER_ROLE, WRITER_USER } from '@sophon/clickhouse';
import { DEFAULT_TOPICS } from '@sophon/event-contract';
import { readTopicDefinitions } from '@sophon/kafka';
import { analyticsWriterEnv, loadAnalyticsWriterConfig } from '../../services/analytics-writer/src/config.js';
import { gatewayEnv, loadGatewayConfig } from '../../services/gateway/src/config.js';
import { imageStoreEnv, loadImageStoreConfig } from '../../services/image-store/src/config.js';
import { loadRegistrationWorkerConfig, registrationWorkerEnv } from '../../services/registration-worker/src/config.js';
import { deviceSyncEnv, loadDeviceSyncConfig } from '../../services/device-sync/src/config.js';
import { loadMigrateConfig, migrateEnv } from '../../packages/clickhouse/src/migrate-env.js';
import { DEFAULT_TOPICS_FILE, ensureTopicsEnv, loadEnsureTopicsConfig } from '../../packages/kafka/src/ensure-topics-cli.js';
import { BUCKET, DATABASE, GATEWAY_MALLOC_ENV } from '../local/stack.js';
import { hostAndPort, interpolate, readCompose, readEnvFile, ROOT, serviceEnvironment, type ComposeFile } from './compose-file.js';

/** Each program the product image runs (compose's `command`), with the loader its entry point calls. */
const PROGRAMS = {
  'services/gateway/dist/main.js': { schema: gatewayEnv, load: loadGatewayConfig, loader: 'loadGatewayConfig' },
  'services/image-store/dist/main.js': { schema: imageStoreEnv, load: loadImageStoreConfig, loader: 'loadImageStoreConfig' },
  'services/analytics-writer/dist/main.js': { schema: analyticsWriterEnv, load: loadAnalyticsWriterConfig, loader: 'loadAnalyticsWriterConfig' },
  'services/registration-worker/dist/main.js': { schema: registrationWorkerEnv, load: loadRegistrationWorkerConfig, loader: 'loadRegistrationWorkerConfig' },
  'services/device-sync/dist/main.js': { schema: deviceSyncEnv, load: loadDeviceSyncConfig, loader: 'loadDeviceSyncConfig' },
  'packages/clickhouse/dist/migrate-cli.js': { schema: migrateEnv, load: loadMigrateConfig, loader: 'loadMigrateConfig' },
  'packages/kafka/dist/ensure-topics-main.js': { schema: ensureTopicsEnv, load: loadEnsureTopicsConfig, loader: 'loadEnsureTopicsConfig' },
} as const;
type Program = keyof typeof PROGRAMS;

/** Set by compose but read by something other than our schemas. */
const READ_ELSEWHERE: Record<string, string> = {
  KAFKAJS_NO_PARTITIONER_WARNING: 'kafkajs itself',
  MALLOC_MMAP_THRESHOLD_: "glibc's allocator (see GATEWAY_MALLOC_ENV in deploy/local/stack.ts)",
};

const compose = readCompose();
const productImage = compose.services.gateway!.image;
const productServices = Object.entries(compose.services).filter(([, service]) => service.image === productImage);
const MiB = 1024 * 1024;

function program(name: string): Program {
  const [node, file] = compose.services[name]!.command ?? [];
  assert.equal(node, 'node', `${name} runs node`);
  assert.ok(file! in PROGRAMS, `${name} runs ${file}, which this test does not know`);
  return file as Program;
}

/** What `name` gets from its loader, given the environment compose resolves from `env`. */
function configOf(name: string, file: ComposeFile = compose): Record<string, unknown> {
  return PROGRAMS[program(name)].load(serviceEnvironment(file.services[name]!)) as Record<string, unknown>;
}

function envOf(name: string): Record<string, string> {
  return serviceEnvironment(compose.services[name]!);
}

/** The ports each service listens on, from its own configuration. */
function listeningPorts(name: string): number[] {
  const service = compose.services[name];
  assert.ok(service, `${name} is not a service of docker-compose.yml`);
  if (service.image === productImage) {
    const config = configOf(name);
    return [config.GATEWAY_PORT ?? config.OPS_PORT].filter((port): port is number => typeof port === 'number');
  }
  if (name === 'kafka') return listeners(envOf('kafka').KAFKA_LISTENERS!).map(({ port }) => port);
  if (name === 'minio') {
    const command = service.command ?? [];
    return ['--address', '--console-address'].map((flag) => Number(command[command.indexOf(flag) + 1]!.replace(/^.*:/, '')));
  }
  // ClickHouse, Prometheus and Grafana keep their images' ports: the health check shows which.
  const url = service.healthcheck!.test.join(' ').match(/http:\/\/127\.0\.0\.1:(\d+)\//);
  assert.ok(url, `${name}: no port in its health check`);
  return [Number(url[1])];
}

function listeners(text: string): { name: string; host: string; port: number }[] {
  return text.split(',').map((entry) => {
    const match = /^([A-Z_]+):\/\/([^:]*):(\d+)$/.exec(entry.trim());
    assert.ok(match, `not a listener: ${entry}`);
    return { name: match[1]!, host: match[2]!, port: Number(match[3]) };
  });
}

function assertReaches(address: string, who: string) {
  const { host, port } = hostAndPort(address);
  assert.ok(compose.services[host], `${who} points at ${host}, which is not a service of docker-compose.yml`);
  assert.ok(listeningPorts(host).includes(port), `${who} points at ${host}:${port}; ${host} listens on ${listeningPorts(host).join(', ')}`);
}

describe('each program of the product image, with the environment compose gives it', () => {
  test('every product container runs a program this test knows, whose entry point uses that loader', () => {
    assert.deepEqual(productServices.map(([name]) => name).sort(), ['analytics-writer', 'clickhouse-migrate', 'device-sync', 'gateway', 'image-store', 'kafka-init', 'registration-worker']);
    for (const [name] of productServices) {
      const source = program(name).replace('/dist/', '/src/').replace(/\.js$/, '.ts');
      assert.match(readFileSync(`${ROOT}${source}`, 'utf8'), new RegExp(`\\b${PROGRAMS[program(name)].loader}\\b`), `${name}: ${source}`);
    }
  });

  test('its loader accepts it, with the defaults and with .env.example alike', () => {
    const withExample = readCompose(readEnvFile());
    for (const [name] of productServices) {
      const config = configOf(name);
      assert.deepEqual(configOf(name, withExample), config, `${name}: .env.example must give the defaults`);
    }
  });

  test('every variable it sets is one the loader knows', () => {
    for (const [name] of productServices) {
      const known = new Set(Object.keys(PROGRAMS[program(name)].schema));
      const unknown = Object.keys(envOf(name)).filter((variable) => !known.has(variable) && !(variable in READ_ELSEWHERE));
      assert.deepEqual(unknown, [], `${name} sets variables its configuration ignores`);
    }
  });

  test("the gateway's allocator is set as the benchmarks measured it (the local stack's GATEWAY_MALLOC_ENV)", () => {
    const env = envOf('gateway');
    for (const [variable, value] of Object.entries(GATEWAY_MALLOC_ENV)) assert.equal(env[variable], value, variable);
  });

  test('a misspelled variable would be caught', () => {
    const known = new Set(Object.keys(gatewayEnv));
    assert.equal(known.has('GATEWAY_DEVICE_TOKEN'), false);
    assert.equal(known.has('GATEWAY_DEVICE_TOKENS'), true);
  });
});

describe('hosts and ports: every address is a service of the file, listening there', () => {
  test('Kafka: every bootstrap address is the broker listener advertised under the same name', () => {
    const env = envOf('kafka');
    const advertised = listeners(env.KAFKA_ADVERTISED_LISTENERS!);
    for (const [name] of productServices) {
      const brokers = configOf(name).KAFKA_BROKERS as string[] | undefined;
      if (!brokers) continue;
      for (const broker of brokers) {
        assertReaches(broker, name);
        // Clients reconnect to the advertised address: it must be the one they bootstrapped from.
        const { host, port } = hostAndPort(broker);
        assert.ok(advertised.some((listener) => listener.host === host && listener.port === port), `${broker} is not advertised`);
      }
    }
    const voters = env.KAFKA_CONTROLLER_QUORUM_VOTERS!.split(',');
    assert.deepEqual(voters, [`${env.KAFKA_NODE_ID}@kafka:${listeners(env.KAFKA_LISTENERS!).find((l) => l.name === env.KAFKA_CONTROLLER_LISTENER_NAMES)!.port}`]);
  });

  test('ClickHouse and MinIO: URLs and credentials match the servers', () => {
    const server = envOf('clickhouse');
    const migrate = configOf('clickhouse-migrate');
    // The administrator the image creates runs the migrate job only; the writers log in as the
    // least-privileged writer that job creates from grants.sql, with the password it was given.
    assert.equal(migrate.CLICKHOUSE_USER, server.CLICKHOUSE_USER);
    assert.equal(migrate.CLICKHOUSE_PASSWORD, server.CLICKHOUSE_PASSWORD);
    for (const name of ['clickhouse-migrate', 'analytics-writer', 'registration-worker', 'device-sync']) {
      const config = configOf(name);
      assertReaches(config.CLICKHOUSE_URL as string, name);
      assert.equal(config.CLICKHOUSE_DATABASE, DATABASE, name);
      if (name === 'clickhouse-migrate') continue;
      assert.equal(config.CLICKHOUSE_USER, WRITER_USER, `${name} is not the administrator`);
      assert.equal(config.CLICKHOUSE_PASSWORD, migrate.CLICKHOUSE_WRITER_PASSWORD, name);
      assert.notEqual(config.CLICKHOUSE_PASSWORD, server.CLICKHOUSE_PASSWORD, name);
    }
    const store = configOf('image-store');
    const endpoint = store.S3_ENDPOINT as { endPoint: string; port: number };
    assertReaches(`${endpoint.endPoint}:${endpoint.port}`, 'image-store');
    const init = envOf('minio-init');
    assert.equal(init.MINIO_ROOT_USER, envOf('minio').MINIO_ROOT_USER);
    assert.equal(init.MINIO_ROOT_PASSWORD, envOf('minio').MINIO_ROOT_PASSWORD);
    assert.equal(init.S3_ACCESS_KEY, store.S3_ACCESS_KEY, 'the key minio-init creates is the one the image store uses');
    assert.equal(init.S3_SECRET_KEY, store.S3_SECRET_KEY);
    assert.ok(init.MINIO_ROOT_PASSWORD!.length >= 8 && init.S3_SECRET_KEY!.length >= 8, 'MinIO refuses secrets under 8 characters');
  });

  test('minio-init: its script is valid sh, reaches MinIO and reads only variables compose sets', () => {
    const file = `${ROOT}deploy/minio/init-bucket.sh`;
    const syntax = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
    assert.equal(syntax.status, 0, syntax.stderr);
    const script = readFileSync(file, 'utf8');
    for (const url of script.match(/https?:\/\/[\w.-]+:\d+/g) ?? []) assertReaches(url, 'minio-init');
    // Variables without a default in the script (${VAR:-x} has one).
    const read = new Set([...script.matchAll(/\$\{?([A-Z][A-Z0-9_]*)(:-)?/g)].filter((match) => !match[2]).map((match) => match[1]!));
    assert.deepEqual([...read].filter((variable) => !(variable in envOf('minio-init'))), []);
    assert.match(compose.services['minio-init']!.entrypoint!.join(' '), /init-bucket\.sh$/);
  });

  test('minio-init: with a stand-in mc, the script makes the bucket, the key and the rule, and a second run changes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sophon-minio-init-'));
    try {
      // Records each call; `admin user info` answers as MinIO would once the policy is attached.
      await writeFile(
        join(dir, 'mc'),
        ['#!/bin/sh', 'echo "$*" >> "$MC_LOG"', 'case "$*" in', '  "admin policy create"*) cp "$6" "$MC_LOG.policy" ;;', '  "admin user info"*) echo "PolicyName: $MC_ATTACHED" ;;', 'esac'].join('\n'),
        { mode: 0o755 },
      );
      const run = (overrides: Record<string, string>) => {
        const log = join(dir, `calls-${Math.random()}`);
        const result = spawnSync('sh', [`${ROOT}deploy/minio/init-bucket.sh`], {
          env: { ...envOf('minio-init'), PATH: `${dir}:${process.env.PATH}`, TMPDIR: dir, MC_LOG: log, MC_ATTACHED: '', ...overrides },
          encoding: 'utf8',
        });
        assert.equal(result.status, 0, result.stderr);
        return { calls: readFileSync(log, 'utf8').trim().split('\n'), policy: readFileSync(`${log}.policy`, 'utf8') };
      };
      const env = envOf('minio-init');
      const bucket = `sophon/${env.S3_BUCKET}`;
      const first = run({});
      assert.deepEqual(first.calls, [
        `alias set sophon http://minio:9000 ${env.MINIO_ROOT_USER} ${env.MINIO_ROOT_PASSWORD}`,
        `mb --ignore-existing ${bucket}`,
        `admin policy create sophon sophon-picture-writer ${dir}/sophon-picture-writer.json`,
        `admin user add sophon ${env.S3_ACCESS_KEY} ${env.S3_SECRET_KEY}`,
        `admin user info sophon ${env.S3_ACCESS_KEY}`,
        `admin policy attach sophon sophon-picture-writer --user ${env.S3_ACCESS_KEY}`,
        `ilm rule rm --all --force ${bucket}`,
        `ilm rule add --expire-days ${env.PICTURE_RETENTION_DAYS} ${bucket}`,
      ]);
      const policy = JSON.parse(first.policy) as { Statement: { Resource: string[] }[] };
      assert.deepEqual(policy.Statement.flatMap((statement) => statement.Resource), [`arn:aws:s3:::${env.S3_BUCKET}`, `arn:aws:s3:::${env.S3_BUCKET}/*`]);
      const again = run({ MC_ATTACHED: 'sophon-picture-writer' });
      assert.ok(!again.calls.some((call) => call.startsWith('admin policy attach')), 'attaching twice is an error in mc');
      const forever = run({ PICTURE_RETENTION_DAYS: '0' });
      assert.ok(!forever.calls.some((call) => call.startsWith('ilm rule add')), 'retention 0 keeps pictures forever');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('Prometheus scrapes every product service on the port it serves /metrics on', () => {
    const config = parse(readFileSync(`${ROOT}deploy/prometheus/prometheus.yml`, 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path?: string; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
    };
    const scraped = new Set<string>();
    for (const job of config.scrape_configs) {
      for (const discovery of job.dns_sd_configs ?? []) {
        for (const name of discovery.names) {
          assertReaches(`${name}:${discovery.port}`, `prometheus job ${job.job_name}`);
          assert.equal(discovery.type, 'A');
          scraped.add(name);
        }
      }
      assert.equal(job.metrics_path ?? '/metrics', '/metrics');
    }
    assert.deepEqual([...scraped].sort(), ['analytics-writer', 'device-sync', 'gateway', 'image-store', 'registration-worker']);
    assert.ok(compose.services.prometheus!.volumes!.includes('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
  });

  test('Grafana: the ClickHouse data source is the read-only analyst, Prometheus the stack’s', () => {
    const grafana = envOf('grafana');
    // Grafana expands $VAR and ${VAR} in provisioning files from its own environment.
    const text = interpolate(readFileSync(`${ROOT}deploy/grafana/provisioning/datasources/datasources.yml`, 'utf8'), grafana);
    const { datasources } = parse(text) as { datasources: { uid: string; type: string; url?: string; jsonData: Record<string, unknown>; secureJsonData?: Record<string, string> }[] };
    const clickhouse = datasources.find((source) => source.type === 'grafana-clickhouse-datasource');
    const prometheus = datasources.find((source) => source.type === 'prometheus');
    assert.ok(clickhouse && prometheus);
    assertReaches(`${clickhouse.jsonData.host}:${clickhouse.jsonData.port}`, 'grafana');
    assert.equal(clickhouse.jsonData.protocol, 'http', 'port 8123 is the HTTP interface');
    assert.equal(clickhouse.jsonData.username, ANALYST_USER);
    assert.equal(clickhouse.secureJsonData?.password, configOf('clickhouse-migrate').CLICKHOUSE_ANALYST_PASSWORD);
    assert.equal(clickhouse.jsonData.defaultDatabase, DATABASE);
    assertReaches(prometheus.url!, 'grafana');
  });

  test('each product health check asks the port that service listens on', () => {
    for (const [name] of productServices.filter(([, service]) => service.healthcheck)) {
      const env = envOf(name);
      const port = Number(env.GATEWAY_PORT ?? env.OPS_PORT);
      assert.deepEqual(listeningPorts(name), [port], `${name}: the health check reads GATEWAY_PORT or OPS_PORT`);
    }
  });
});

describe('Kafka limits and replication, set for one node and the largest picture', () => {
  const broker = envOf('kafka');
  const topics = readTopicDefinitions(`${ROOT}deploy/kafka/topics.json`);

  test('message size: services, broker and picture topics agree, with headroom over the largest picture', () => {
    const gateway = configOf('gateway');
    const largestTopic = Math.max(...topics.map((topic) => Number(topic.config['max.message.bytes'])));
    for (const [name] of productServices) {
      const size = configOf(name).KAFKA_MAX_MESSAGE_BYTES as number | undefined;
      if (size === undefined) continue;
      assert.equal(size, largestTopic, `${name}: producer and consumer limit`);
    }
    assert.equal(Number(broker.KAFKA_MESSAGE_MAX_BYTES), largestTopic);
    assert.ok(Number(broker.KAFKA_REPLICA_FETCH_MAX_BYTES) >= largestTopic);
    assert.ok(largestTopic >= (gateway.GATEWAY_MAX_PICTURE_BYTES as number) + MiB, 'a picture plus at least 1 MiB of headroom');
    for (const name of ['event-images', 'history-events-quarantine', 'pipeline-dead-letter']) {
      assert.equal(topics.find((topic) => topic.name === name)?.config['max.message.bytes'], String(largestTopic), name);
    }
    assert.ok(Number(broker.KAFKA_SOCKET_REQUEST_MAX_BYTES) >= (gateway.GATEWAY_MAX_BODY_BYTES as number), 'one upload fits one produce request');
  });

  test('replication factors and ISR minimums are 1; topics are never auto-created', () => {
    for (const variable of ['KAFKA_DEFAULT_REPLICATION_FACTOR', 'KAFKA_MIN_INSYNC_REPLICAS', 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']) {
      assert.equal(broker[variable], '1', variable);
    }
    assert.equal(broker.KAFKA_PROCESS_ROLES, 'broker,controller');
    assert.equal(broker.KAFKA_AUTO_CREATE_TOPICS_ENABLE, 'false');
    assert.match(broker.CLUSTER_ID!, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(Buffer.from(broker.CLUSTER_ID!, 'base64url').length, 16, 'a cluster id is a base64url UUID');
    assert.ok(compose.services.kafka!.volumes!.includes(`kafka-data:${broker.KAFKA_LOG_DIRS}`), 'the log directory is the named volume');
  });
});

describe('one source of truth: the jobs use what the local stack and the tests use', () => {
  test('topics: kafka-init runs the ensure-topics CLI on deploy/kafka/topics.json', () => {
    const kafka = JSON.parse(readFileSync(`${ROOT}packages/kafka/package.json`, 'utf8')) as { bin: Record<string, string> };
    // The bin is a checked-in shim (so pnpm can link it before the build) that runs the built CLI.
    const shim = readFileSync(`${ROOT}packages/kafka/${kafka.bin['sophon-ensure-topics']!.replace('./', '')}`, 'utf8');
    const target = shim.match(/import "\.\.\/(dist\/[^"]+)"/)?.[1];
    assert.equal(`packages/kafka/${target}`, program('kafka-init'));
    const config = configOf('kafka-init');
    assert.equal(relative(ROOT, config.KAFKA_TOPICS_FILE as string), 'deploy/kafka/topics.json');
    assert.equal(config.KAFKA_TOPICS_FILE, DEFAULT_TOPICS_FILE);
    assert.match(readFileSync(`${ROOT}deploy/local/stack.ts`, 'utf8'), /readTopicDefinitions\(DEFAULT_TOPICS_FILE\)/);
    assert.deepEqual(readTopicDefinitions(DEFAULT_TOPICS_FILE).map((topic) => topic.name).sort(), Object.values(DEFAULT_TOPICS).sort());
  });

  test('bucket: the image store and minio-init use the local stack’s BUCKET', () => {
    assert.equal(configOf('image-store').S3_BUCKET, BUCKET);
    assert.equal(envOf('minio-init').S3_BUCKET, BUCKET);
  });

  test('migrations: clickhouse-migrate is the migrate CLI on deploy/clickhouse/migrations, with the analyst', () => {
    const clickhouse = JSON.parse(readFileSync(`${ROOT}packages/clickhouse/package.json`, 'utf8')) as { scripts: Record<string, string> };
    // The package's `migrate` script (what the tests and `pnpm dev` run) is the same module, from src.
    assert.match(clickhouse.scripts.migrate!, /src\/migrate-cli\.ts$/);
    assert.equal(program('clickhouse-migrate'), 'packages/clickhouse/dist/migrate-cli.js');
    const config = configOf('clickhouse-migrate');
    assert.equal(config.CLICKHOUSE_MIGRATIONS_DIR, undefined, 'no second copy of the SQL');
    assert.equal(relative(ROOT, DEFAULT_MIGRATIONS_DIR), 'deploy/clickhouse/migrations');
    assert.ok(config.CLICKHOUSE_ANALYST_PASSWORD, 'the analyst is created (grants.sql)');
    assert.equal(config.CLICKHOUSE_GRANTS_FILE, undefined);
    assert.equal(configOf('analytics-writer').ANALYTICS_MIGRATE_ON_START, false, 'replicas never race the migrate job');
  });

  test('analyst: grants.sql creates ANALYST_USER, whom Grafana logs in as', async () => {
    const statements = await readAnalystGrants({ database: DATABASE, analystPassword: 'x', writerPassword: 'y' });
    assert.ok(statements.some((statement) => statement.startsWith(`CREATE USER IF NOT EXISTS ${ANALYST_USER} `)));
    // Grafana's data source sets max_execution_time on every query: the analyst may change that one setting.
    assert.ok(statements.some((statement) => statement.startsWith(`ALTER USER ${ANALYST_USER} SETTINGS readonly = 1, max_execution_time CHANGEABLE_IN_READONLY`)));
    assert.ok(compose.services.clickhouse!.volumes!.some((volume) => volume.startsWith('./deploy/clickhouse/config.d/sophon.xml:/etc/clickhouse-server/config.d/')));
    assert.match(readFileSync(`${ROOT}deploy/clickhouse/config.d/sophon.xml`, 'utf8'), /<settings_constraints_replace_previous>true<\/settings_constraints_replace_previous>/);
  });

  test('writer: grants.sql creates WRITER_USER, whom the analytics writer and the registration worker log in as', async () => {
    const statements = await readAnalystGrants({ database: DATABASE, analystPassword: 'x', writerPassword: 'y' });
    assert.ok(statements.some((statement) => statement.startsWith(`CREATE USER IF NOT EXISTS ${WRITER_USER} `)));
    assert.ok(statements.includes(`GRANT ${WRITER_ROLE} TO ${WRITER_USER}`));
    assert.ok(configOf('clickhouse-migrate').CLICKHOUSE_WRITER_PASSWORD, 'the migrate job sets the writer’s password');
  });
});

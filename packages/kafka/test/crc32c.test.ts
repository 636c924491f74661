import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';

/**
 * patches/kafkajs@2.2.4.patch makes kafkajs compute the CRC32C of each record batch with
 * @node-rs/crc32 (native) instead of its JavaScript loop. A wrong checksum would make the broker
 * reject every produce request, so the patched function is held to a reference implementation
 * here, and to the original JavaScript one that the patch keeps as its fallback.
 */
interface KafkajsCrc32C {
  (buffer: Buffer): number;
  /** True when @node-rs/crc32's binary loaded; false: the JavaScript fallback is in use. */
  native?: boolean;
  /** The original kafkajs implementation. */
  javascript?: (buffer: Buffer) => number;
  /** The checksum of buffers one after the other, as if joined (native only). */
  ofParts?: ((parts: Buffer[]) => number) | null;
}
/** kafkajs's encoders, as its produce request uses them (an Encoder per record, then the batch). */
type Encoder = { buffer: Buffer };
type EncodeRecord = (record: { key: Buffer; value: Buffer; offsetDelta: number }) => Encoder;
type EncodeRecordBatch = (batch: { lastOffsetDelta: number; records: Encoder[] }) => Promise<Encoder>;

// Resolved the way @sophon/kafka resolves kafkajs, so this is the copy the services load.
const requireFromKafka = createRequire(new URL('../package.json', import.meta.url));
const crc32C = requireFromKafka('kafkajs/src/protocol/recordBatch/crc32C') as KafkajsCrc32C;
const encodeRecord = requireFromKafka('kafkajs/src/protocol/recordBatch/record/v0') as EncodeRecord;
const { RecordBatch: encodeRecordBatch } = requireFromKafka('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: EncodeRecordBatch };

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: slow and plainly right. */
function referenceCrc32C(buffer: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Buffers of many sizes, around the native code's block boundaries and up to picture size, some at an offset into a larger allocation. */
function samples(): Buffer[] {
  const sizes = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 127, 255, 256, 1023, 1024, 4097, 65_535, 300 * 1024, 1024 * 1024 + 3];
  const whole = sizes.map((size) => randomBytes(size));
  const sliced = sizes.map((size) => randomBytes(size + 11).subarray(5, 5 + size));
  return [...whole, ...sliced, Buffer.alloc(4096), Buffer.alloc(4096, 0xff)];
}

test('the patched kafkajs CRC32C uses the native @node-rs/crc32', () => {
  assert.equal(crc32C.native, true, 'kafkajs runs its JavaScript CRC32C: is patches/kafkajs@2.2.4.patch applied and @node-rs/crc32-linux-x64-gnu installed?');
  assert.equal(typeof crc32C.javascript, 'function', 'the patch keeps the JavaScript implementation as its fallback');
});

test('CRC32C("123456789") is the check value 0xE3069283, natively and in JavaScript', () => {
  const check = Buffer.from('123456789');
  assert.equal(referenceCrc32C(check), 0xe3069283);
  assert.equal(crc32C(check), 0xe3069283);
  assert.equal(crc32C.javascript!(check), 0xe3069283);
});

test('the patched CRC32C equals the reference and the original JavaScript on random buffers of many sizes', () => {
  for (const buffer of samples()) {
    const expected = referenceCrc32C(buffer);
    assert.equal(crc32C(buffer), expected, `native, ${buffer.length} bytes at offset ${buffer.byteOffset}`);
    assert.equal(crc32C.javascript!(buffer), expected, `JavaScript, ${buffer.length} bytes at offset ${buffer.byteOffset}`);
  }
});

test('a record batch kafkajs encodes carries the CRC32C of its body', async () => {
  const records = [0, 1, 2].map((offsetDelta) => encodeRecord({ key: Buffer.from(`box-${offsetDelta}`), value: randomBytes(200 * 1024), offsetDelta }));
  const { buffer } = await encodeRecordBatch({ lastOffsetDelta: 2, records });
  // firstOffset (int64), batch length (int32), partitionLeaderEpoch (int32), magic (int8), crc (uint32), then the body it covers.
  assert.equal(buffer.readInt32BE(8), buffer.length - 12);
  assert.equal(buffer.readInt8(16), 2, 'magic byte 2: a v2 record batch');
  assert.equal(buffer.readUInt32BE(17), referenceCrc32C(buffer.subarray(21)));
});

test('the CRC32C of a record batch body in parts equals that of the parts joined', () => {
  const parts = samples();
  assert.equal(typeof crc32C.ofParts, 'function');
  assert.equal(crc32C.ofParts!(parts), referenceCrc32C(Buffer.concat(parts)));
  assert.equal(crc32C.ofParts!([]), referenceCrc32C(Buffer.alloc(0)));
});

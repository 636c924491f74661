import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';

/**
 * patches/kafkajs@2.2.4.patch makes kafkajs's Encoder append large buffers (record values: the
 * pictures) by reference instead of copying them at every level of a produce request, write
 * varints in place, and encode a record's headers into the record's own encoder. The bytes it
 * produces must be exactly the original's: these tests spell out the original's output (each write
 * appended in order) for sequences that mix small and large buffers, nested encoders included, and
 * for records, and decode a whole record batch of picture-sized values back with kafkajs's own decoder.
 */
interface Encoder {
  buffer: Buffer;
  size(): number;
  writeInt32(value: number): Encoder;
  writeInt8(value: number): Encoder;
  writeString(value: string): Encoder;
  writeBytes(value: Buffer | null): Encoder;
  writeVarIntBytes(value: Buffer): Encoder;
  writeBuffer(value: Buffer): Encoder;
  writeEncoder(value: Encoder): Encoder;
  writeArray(value: Encoder[]): Encoder;
}
type EncoderClass = new (initialSize?: number) => Encoder;
type EncodeRecord = (record: {
  key: Buffer | null;
  value: Buffer | null;
  offsetDelta: number;
  timestampDelta?: number;
  headers?: Record<string, string | Buffer | (string | Buffer)[]>;
}) => Encoder;
type EncodeRecordBatch = (batch: { lastOffsetDelta: number; records: Encoder[] }) => Promise<Encoder>;
interface DecodedRecord {
  key: Buffer;
  value: Buffer;
  headers: Record<string, Buffer>;
}

// Resolved the way @sophon/kafka resolves kafkajs, so this is the copy the services load.
const requireFromKafka = createRequire(new URL('../package.json', import.meta.url));
const Encoder = requireFromKafka('kafkajs/src/protocol/encoder') as EncoderClass;
const Decoder = requireFromKafka('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const encodeRecord = requireFromKafka('kafkajs/src/protocol/recordBatch/record/v0') as EncodeRecord;
const { RecordBatch: encodeRecordBatch } = requireFromKafka('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: EncodeRecordBatch };
const decodeRecordBatch = requireFromKafka('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<{ records: DecodedRecord[] }>;

const int32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
};
const int16 = (value: number) => int32(value).subarray(2);
/** Kafka's zig-zag varlong (64 bits), as the original encoder writes a record's timestamp delta. */
const varLong = (value: number) => {
  let zigZag = BigInt.asUintN(64, (BigInt(value) << 1n) ^ (BigInt(value) >> 63n));
  const bytes: number[] = [];
  while (zigZag >= 0x80n) {
    bytes.push(Number(zigZag & 0x7fn) | 0x80);
    zigZag >>= 7n;
  }
  bytes.push(Number(zigZag));
  return Buffer.from(bytes);
};
/** A varint-length-prefixed field, as the original wrote keys, values and header parts (-1: null). */
const varIntBytes = (value: Buffer | string | null) => (value === null ? varInt(-1) : Buffer.concat([varInt(Buffer.byteLength(value)), Buffer.from(value)]));
/** Kafka's zig-zag varint, as the original encoder writes it. */
const varInt = (value: number) => {
  let zigZag = ((value << 1) ^ (value >> 31)) >>> 0;
  const bytes: number[] = [];
  while (zigZag >= 0x80) {
    bytes.push((zigZag & 0x7f) | 0x80);
    zigZag >>>= 7;
  }
  bytes.push(zigZag);
  return Buffer.from(bytes);
};

test('an encoder mixing small and large buffers, nested encoders and arrays writes what the original wrote', () => {
  for (const large of [16 * 1024 - 1, 16 * 1024, 300 * 1024, 1024 * 1024 + 7]) {
    const [a, b, c, d] = [randomBytes(large), randomBytes(large + 5), randomBytes(17), randomBytes(large).subarray(3)];
    const inner = new Encoder().writeString('inner').writeBytes(b).writeInt8(7);
    const items = [new Encoder().writeBytes(c), new Encoder().writeVarIntBytes(d).writeInt32(-1)];
    const outer = new Encoder().writeInt32(42).writeBytes(a).writeEncoder(inner).writeVarIntBytes(c).writeArray(items).writeBuffer(d).writeBytes(null);
    const expected = Buffer.concat([
      int32(42),
      int32(a.length),
      a,
      int16(5),
      Buffer.from('inner'),
      int32(b.length),
      b,
      Buffer.from([7]),
      varInt(c.length),
      c,
      int32(2),
      int32(c.length),
      c,
      varInt(d.length),
      d,
      int32(-1),
      d,
      int32(-1),
    ]);
    assert.equal(outer.size(), expected.length, `size() with ${large}-byte buffers`);
    assert.ok(outer.buffer.equals(expected), `bytes with ${large}-byte buffers`);
    // Read twice (the connection reads the size, then writes): the same bytes.
    assert.ok(outer.buffer.equals(expected));
    // An encoder appended after it was read whole.
    assert.ok(new Encoder().writeEncoder(outer).buffer.equals(expected));
  }
});

test('a record batch of picture-sized values decodes back to the same keys, values and headers', async () => {
  const messages = [300 * 1024, 12, 20 * 1024, 0, 1024 * 1024].map((size, index) => ({
    key: Buffer.from(`event-${index}`),
    value: randomBytes(size),
    headers: { 'picture-kind': `kind-${index}` },
  }));
  const records = messages.map((message, offsetDelta) => encodeRecord({ ...message, offsetDelta }));
  const batch = await encodeRecordBatch({ lastOffsetDelta: messages.length - 1, records });
  const decoded = await decodeRecordBatch(new Decoder(batch.buffer));
  assert.equal(decoded.records.length, messages.length);
  decoded.records.forEach((record, index) => {
    assert.ok(record.key.equals(messages[index]!.key));
    assert.ok(record.value.equals(messages[index]!.value), `value ${index}`);
    assert.equal(record.headers['picture-kind']!.toString(), `kind-${index}`);
  });
});

/** Timestamp deltas in and beyond 32 bits, negative too (a record older than the batch's first). */
const TIMESTAMP_DELTAS = [0, 1, -1, 300, 2 ** 31, -(2 ** 31) - 5, 2 ** 40 + 3];

test('a record, headers included, is the bytes the original record encoder wrote', () => {
  const headerSets: Record<string, string | Buffer | (string | Buffer)[]>[] = [
    {},
    { 'event-id': 'a'.repeat(32), 'want-action': '1001', 'schema-version': '1', 'dev-sno': 'DEV-é', 'source-format': 'V5R3C01', 'content-type': 'application/json' },
    { 'picture-kind': Buffer.from('spot_pic'), many: ['x', Buffer.alloc(0), 'z'.repeat(300)] },
  ];
  const sizes = [0, 1, 2, 3, 4, 5, 6, 127, 128, 3000, 16 * 1024 - 1, 16 * 1024, 300 * 1024];
  for (const headers of headerSets) {
    for (const size of sizes) {
      for (const [key, value] of [
        [Buffer.from('DEV-1'), randomBytes(size)],
        [null, size === 0 ? null : randomBytes(size)],
      ] as const) {
        const [offsetDelta, timestampDelta] = [size % 300, TIMESTAMP_DELTAS[size % TIMESTAMP_DELTAS.length]!];
        const headerPairs = Object.entries(headers).flatMap(([name, values]) => (Array.isArray(values) ? values : [values]).map((one) => [name, one] as const));
        const body = Buffer.concat([
          Buffer.from([0]), // attributes
          varLong(timestampDelta),
          varInt(offsetDelta),
          varIntBytes(key),
          varIntBytes(value),
          varInt(headerPairs.length),
          ...headerPairs.flatMap(([name, one]) => [varIntBytes(name), varIntBytes(one)]),
        ]);
        const expected = Buffer.concat([varInt(body.length), body]);
        const encoded = encodeRecord({ key, value, offsetDelta, timestampDelta, headers });
        const what = `${size}-byte value, key ${key === null ? 'null' : 'set'}, ${headerPairs.length} headers`;
        assert.equal(encoded.size(), expected.length, `size() of a record with a ${what}`);
        assert.ok(encoded.buffer.equals(expected), `bytes of a record with a ${what}`);
      }
    }
  }
});

test('a record batch with several headers per record decodes back to them', async () => {
  const headers = { 'event-id': 'e'.repeat(32), 'dev-sno': 'DEV-7', 'content-type': 'application/json' };
  const messages = [3000, 20 * 1024, 10].map((size, index) => ({ key: Buffer.from(`DEV-${index}`), value: randomBytes(size), headers }));
  const records = messages.map((message, offsetDelta) => encodeRecord({ ...message, offsetDelta, timestampDelta: offsetDelta * 5 }));
  const decoded = await decodeRecordBatch(new Decoder((await encodeRecordBatch({ lastOffsetDelta: messages.length - 1, records })).buffer));
  decoded.records.forEach((record, index) => {
    assert.ok(record.value.equals(messages[index]!.value), `value ${index}`);
    assert.deepEqual(Object.fromEntries(Object.entries(record.headers).map(([name, value]) => [name, value.toString()])), headers);
  });
});

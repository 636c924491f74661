import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHistoryEventAdapter, decodeHistoryEventMessage, DEFAULT_TOPICS, type ParseResult } from '../src/index.js';
import { sampleHistoryEvent } from '../src/testing.js';

/**
 * The gateway reads a single event's feature vector as text (the adapter's parseJson) and publishes
 * that text as it came: what reaches Kafka, and what is quarantined, must be what the plain path
 * (JSON.parse, then parse) gives, the feature's digits aside.
 */
const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 1024 * 1024 });
const parseJson = (text: string) => adapter.parseJson!(Buffer.from(text));
const RECEIVED_AT = 1_700_000_000_000;
const FEATURE = Array.from({ length: 512 }, (_, i) => Number((Math.sin(i) / 7).toPrecision(8)));

/** The upload text of a sample event whose feature is written as `featureText`. */
function uploadWithFeature(featureText: string, change: (event: any) => void = () => {}): string {
  const event = structuredClone(sampleHistoryEvent()) as any;
  event.ext_data.info.feature = [424242];
  change(event);
  return JSON.stringify(event).replace('[424242]', featureText);
}

/** Both paths over one text: the gateway's (parseJson, then parse with what it kept) and the plain one. */
function bothPaths(text: string): { kept: string | undefined; fast: ParseResult; plain: ParseResult } {
  const { value, featureJson } = parseJson(text);
  const fast = adapter.parse(value, { receivedAt: RECEIVED_AT, featureJson });
  const plain = adapter.parse(JSON.parse(text), { receivedAt: RECEIVED_AT });
  return { kept: featureJson, fast, plain };
}

const historyMessage = (result: ParseResult) => {
  assert.ok(result.ok, JSON.stringify(result));
  return result.messages.at(-1)!;
};

describe("the history-event adapter's parseJson", () => {
  it('keeps a single event\'s feature as the box wrote it, and the message is the plain path\'s otherwise', () => {
    // 24 fraction digits, the most kept as text, with an exponent and as the last number.
    const long = (i: number) => (i === 3 ? `0.${'1'.repeat(24)}e-3` : i === FEATURE.length - 1 ? `0.${'9'.repeat(24)}` : undefined);
    const written = `[${FEATURE.map((x, i) => (i === 0 ? '0.50' : i === 1 ? '1E-5' : i === 2 ? '2.0e0' : long(i) ?? String(x))).join(',')}]`;
    // Names in UTF-8 before and after the vector: the bytes around it are joined, then decoded.
    const text = uploadWithFeature(written, (event) => {
      event.identity_name = '张三 Zoë';
      event.ext_data.note = 'über';
    });
    const { kept, fast, plain } = bothPaths(text);
    assert.equal(kept, written);
    const fastText = historyMessage(fast).value.toString();
    assert.ok(fastText.includes(`"feature":${written}`), 'the digits as sent');
    const fromFast = decodeHistoryEventMessage(historyMessage(fast).value);
    const fromPlain = decodeHistoryEventMessage(historyMessage(plain).value);
    assert.deepEqual(fromFast, fromPlain);
    assert.deepEqual(fromFast.event.ext_data.info?.feature?.slice(0, 3), [0.5, 1e-5, 2]);
    assert.equal(fromFast.event.identity_name, '张三 Zoë');
    assert.deepEqual(historyMessage(fast).headers, historyMessage(plain).headers);
  });

  it('parses whole what it cannot be sure of, giving exactly JSON.parse', () => {
    const feature = JSON.stringify(FEATURE);
    const cases = {
      'a batch': JSON.stringify([JSON.parse(uploadWithFeature(feature))]),
      'a batch with names in UTF-8 (not ASCII: decoded as UTF-8)': JSON.stringify([{ ...(sampleHistoryEvent() as object), identity_name: '张三 Zoë' }]),
      'an empty feature': uploadWithFeature('[]'),
      'spaces in the array': uploadWithFeature(`[${FEATURE.join(', ')}]`),
      'strings in the array': uploadWithFeature('["0.5","0.25"]'),
      'a second "feature" key': uploadWithFeature(feature, (event) => (event.extra = { feature: [1] })),
      'a \\u escape anywhere': uploadWithFeature(feature, (event) => (event.name = 'Zoë')).replace('ë', '\\u00eb'),
      'the feature outside ext_data.info': JSON.stringify({ ...(sampleHistoryEvent() as object), feature: FEATURE }),
      'no feature': JSON.stringify(sampleHistoryEvent()),
      'a key that only ends like "feature" (an escaped quote before it)': uploadWithFeature(feature, (event) => (event.ext_data.info = { ...event.ext_data.info, feature: undefined, '"feature': [424242] })),
      'a number with 25 fraction digits': uploadWithFeature(`[0.${'1'.repeat(25)},0.5]`),
      'the last number with 25 fraction digits': uploadWithFeature(`[0.5,0.${'1'.repeat(25)}]`),
      'a number with 25 fraction digits and an exponent': uploadWithFeature(`[0.5,1.${'2'.repeat(25)}e-5,0.5]`),
      'a body over 128 KiB (pictures: copying them cost what the vector saved)': uploadWithFeature(feature, (event) => (event.ext_data.spot_pic = 'A'.repeat(200_000))),
    };
    for (const [name, text] of Object.entries(cases)) {
      const parsed = parseJson(text);
      assert.equal(parsed.featureJson, undefined, name);
      assert.deepEqual(parsed.value, JSON.parse(text), name);
    }
  });

  it('throws what JSON.parse throws for text that is not JSON', () => {
    for (const text of [uploadWithFeature(JSON.stringify(FEATURE)).slice(0, -1), '{"ext_data":{"info":{"feature":[1,2]}},}', '']) {
      let expected: unknown;
      try {
        JSON.parse(text);
      } catch (error) {
        expected = error;
      }
      assert.throws(() => parseJson(text), { name: 'SyntaxError', message: (expected as Error).message });
    }
  });

  it('quarantines a refused event with its feature back in place', () => {
    const text = uploadWithFeature(JSON.stringify(FEATURE), (event) => (event.score = 'high'));
    const { kept, fast, plain } = bothPaths(text);
    assert.ok(kept !== undefined);
    assert.ok(!fast.ok && !plain.ok);
    assert.deepEqual(fast.errors, plain.errors);
    assert.deepEqual(fast.raw, JSON.parse(text));
  });
});

describe('a feature vector kept as text that the event has no place for', () => {
  it('is never dropped: the event is refused (and so quarantined), not published without it', () => {
    const raw = structuredClone(sampleHistoryEvent()) as any;
    delete raw.ext_data.info;
    const result = adapter.parse(raw, { receivedAt: RECEIVED_AT, featureJson: '[0.5,0.25]' });
    assert.ok(!result.ok);
    assert.match(result.errors[0]!.message, /feature vector kept as text has no place/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createHistoryEventAdapter,
  decodeHistoryEventMessage,
  decodeHistoryEventMessageKeepingFeatureJson,
  DEFAULT_TOPICS,
  type HistoryEventMessage,
} from '../src/index.js';
import { sampleHistoryEvent } from '../src/testing.js';

const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 1024 * 1024 });
const FEATURE = Array.from({ length: 512 }, (_, i) => Math.sin(i) / 7);

/** The history-events message text the gateway publishes for an event with this info. */
function published(info: Record<string, unknown>): string {
  const result = adapter.parse(sampleHistoryEvent({ ext_data: { info } }), { receivedAt: 1_700_000_000_000 });
  assert.ok(result.ok);
  return result.messages.at(-1)!.value.toString('utf8');
}

/** What decodeHistoryEventMessage gives, split as the writer's decoder splits it. */
function expected(value: Buffer): { message: HistoryEventMessage; feature: unknown } {
  const message = decodeHistoryEventMessage(value);
  const feature = message.event.ext_data.info?.feature ?? [];
  delete message.event.ext_data.info?.feature;
  return { message, feature };
}

/** Either both decoders accept the text and agree, or both refuse it with the same error. */
function assertSameAsFullDecode(text: string): 'accepted' | 'refused' {
  const value = Buffer.from(text);
  let reference: ReturnType<typeof expected>;
  try {
    reference = expected(value);
  } catch (error) {
    assert.throws(() => decodeHistoryEventMessageKeepingFeatureJson(value), { name: 'ContractError', message: (error as Error).message });
    return 'refused';
  }
  const { message, featureJson } = decodeHistoryEventMessageKeepingFeatureJson(value);
  assert.deepEqual(message, reference.message);
  assert.deepEqual(JSON.parse(featureJson), reference.feature);
  return 'accepted';
}

describe('decodeHistoryEventMessageKeepingFeatureJson', () => {
  it("keeps the gateway's feature text as it is and decodes the rest as decodeHistoryEventMessage does", () => {
    const text = published({ age: 'youth', box: [1, 2, 3, 4], feature: FEATURE });
    const { message, featureJson } = decodeHistoryEventMessageKeepingFeatureJson(Buffer.from(text));
    assert.equal(featureJson, JSON.stringify(FEATURE));
    assert.ok(text.includes(`"feature":${featureJson}`));
    assert.deepEqual(message.event.ext_data.info, { age: 'youth', gender: 'male', glasses: 'no', box: [1, 2, 3, 4] });
    assert.equal(assertSameAsFullDecode(text), 'accepted');
    // As written, not as JSON.stringify would write the numbers again: the vector was not parsed.
    const other = text.replace(featureJson, '[1.50,1E5,-0]');
    assert.equal(decodeHistoryEventMessageKeepingFeatureJson(Buffer.from(other)).featureJson, '[1.50,1E5,-0]');
  });

  it("keeps a vector's text without the gateway's bound on fraction digits, which the gateway checked", () => {
    const text = published({ feature: [0.5, -0.25] });
    const long = `[0.${'1'.repeat(30)},0.5]`;
    assert.equal(assertSameAsFullDecode(text.replace('[0.5,-0.25]', long)), 'accepted');
    assert.equal(decodeHistoryEventMessageKeepingFeatureJson(Buffer.from(text.replace('[0.5,-0.25]', long))).featureJson, long);
  });

  it('gives [] for an event without a feature, or with an empty one', () => {
    for (const info of [{ age: 'youth' }, { feature: [] }]) {
      assert.equal(decodeHistoryEventMessageKeepingFeatureJson(Buffer.from(published(info))).featureJson, '[]');
    }
    const { message, featureJson } = decodeHistoryEventMessageKeepingFeatureJson(Buffer.from(published({})));
    assert.equal(featureJson, '[]');
    assert.equal(message.event.ext_data.info?.feature, undefined);
  });

  it('refuses a feature that is not an array of at most 4096 finite numbers, with the schema error', () => {
    const text = published({ feature: [0.5, -0.25] });
    const cases = ['[0.5,"x"]', '[0.5,null]', '[0.5,[1]]', '[1e999]', `[${'9'.repeat(400)}]`, '[01]', '[.5]', '[1,]', `[${Array(4097).fill(0).join(',')}]`];
    for (const feature of cases) {
      assert.equal(assertSameAsFullDecode(text.replace('[0.5,-0.25]', feature)), 'refused', feature);
    }
    assert.throws(() => decodeHistoryEventMessageKeepingFeatureJson(Buffer.from(text.replace('[0.5,-0.25]', '[0.5,"x"]'))), /\/event\/ext_data\/info\/feature\/1 must be a number \(got "x"\)/);
  });

  it('accepts any JSON form of the numbers, and the limits themselves', () => {
    const text = published({ feature: [0.5, -0.25] });
    const cases = ['[ 0.5 , -0.25 ]', '[1E5,-0,2e-7,1.5e+30]', '[1e300,-1e-300]', `[${Array(4096).fill(1).join(',')}]`];
    for (const feature of cases) {
      assert.equal(assertSameAsFullDecode(text.replace('[0.5,-0.25]', feature)), 'accepted', feature);
    }
  });

  it('refuses the rest of the message as decodeHistoryEventMessage does, feature or not', () => {
    const text = published({ feature: FEATURE });
    assert.equal(assertSameAsFullDecode(text.replace(/"event_id":"[0-9a-f]+"/, '"event_id":"nope"')), 'refused');
    assert.equal(assertSameAsFullDecode(text.replace('"person_type":1', '"person_type":9')), 'refused');
    assert.equal(assertSameAsFullDecode(text.slice(0, -1)), 'refused');
  });

  it('takes no other field named feature for the event’s, however it is written', () => {
    const text = published({ age: 'youth', feature: [0.5, -0.25] });
    const variants = [
      // an unknown field's feature, and none in info
      text.replace('"feature":[0.5,-0.25]', '"vendor":{"feature":[9,9]}'),
      // both: the unknown one stays in ext_data
      text.replace('"feature":[0.5,-0.25]', '"feature":[0.5,-0.25],"vendor":{"feature":[9]}'),
      // a key that only ends in "feature"
      text.replace('"feature":[0.5,-0.25]', '"x\\"feature":[9,9]'),
      text.replace('"feature":[0.5,-0.25]', '"x\\"feature":[9,9],"feature":[0.5]'),
      // the key written with an escape, once or as a duplicate that JSON.parse lets win
      text.replace('"feature":[0.5,-0.25]', '"featur\\u0065":[7]'),
      text.replace('"feature":[0.5,-0.25]', '"feature":[0.5,-0.25],"featur\\u0065":[]'),
      // a second info, which JSON.parse lets win
      text.replace('"feature":[0.5,-0.25]}', '"feature":[0.5,-0.25]},"info":{"age":"aged"}'),
      // a string that holds the key's text
      text.replace('"age":"youth"', '"note":"\\"feature\\":[1,2]"'),
    ];
    for (const variant of variants) assert.equal(assertSameAsFullDecode(variant), 'accepted', variant);
  });
});

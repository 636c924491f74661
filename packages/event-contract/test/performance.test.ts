import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { createHistoryEventAdapter, DEFAULT_TOPICS } from '../src/index.js';
import { sampleHistoryEvent, tinyImage } from '../src/testing.js';

/** MIME-style base64: lines of 76 characters, as some encoders send. */
const wrapped = (bytes: Buffer): string => bytes.toString('base64').replace(/.{76}/g, '$&\r\n');

/** The upper end of real events (spec notes): 400 KB scene, 100 KB registered picture, 40 KB IR, 30 KB face, 512 features. */
function largeEvent(): unknown {
  return JSON.parse(
    JSON.stringify(
      sampleHistoryEvent({
        reg_pic: tinyImage('jpeg', 100_000).toString('base64'),
        ext_data: {
          spot_pic: wrapped(tinyImage('jpeg', 400_000)),
          ir_pic: `data:image/png;base64,${tinyImage('png', 40_000).toString('base64')}`,
          recognize_face: tinyImage('jpeg', 30_000).toString('base64'),
          info: { feature: Array.from({ length: 512 }, (_, i) => Math.sin(i)) },
        },
      }),
    ),
  );
}

describe('performance', () => {
  it('parses a 0.8 MB event in a few milliseconds', () => {
    const raw = largeEvent();
    assert.ok(JSON.stringify(raw).length > 750_000);
    const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 1024 * 1024 });
    const ctx = { receivedAt: 1 };
    for (let i = 0; i < 5; i++) assert.ok(adapter.parse(raw, ctx).ok); // warm-up (JIT, schema code)
    const runs = 30;
    const started = performance.now();
    for (let i = 0; i < runs; i++) assert.ok(adapter.parse(raw, ctx).ok);
    const perEvent = (performance.now() - started) / runs;
    // Typically 2–4 ms; the bound leaves room for slow CI machines while still catching quadratic work.
    assert.ok(perEvent < 25, `${perEvent.toFixed(2)} ms per event`);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyEventRow } from '@sophon/clickhouse';
import { decodeHistoryEventMessage } from '@sophon/event-contract';
import { historyEventRowJson } from '../src/row-json.js';
import { event, historyMessages } from './harness.js';

const position = { topic: 'history-events', partition: 0, offset: '7' };

function lineFor(change: (e: any) => void) {
  const [message] = historyMessages(event('BOX-J', 1, change));
  const row = historyEventRow(decodeHistoryEventMessage(message!.value), position, 1_764_000_000_000);
  return { row, line: historyEventRowJson(row, message!.value.toString('utf8')) };
}

test('a row with a feature reuses the vector as written and says the same as JSON.stringify', () => {
  const feature = Array.from({ length: 512 }, (_, i) => Math.sin(i) / 7);
  feature[3] = 1e-7;
  const { row, line } = lineFor((e) => (e.ext_data.info = { age: 'youth', box: [1, 2, 3, 4], feature }));
  assert.equal(row.feature.length, 512);
  assert.deepEqual(JSON.parse(line), JSON.parse(JSON.stringify(row)));
  assert.ok(line.includes(`"feature":${JSON.stringify(feature)}`));
});

test('another array named feature in the event, or none at all, is serialised by JSON.stringify', () => {
  const twice = lineFor((e) => {
    e.ext_data.vendor = { feature: [9, 9] };
    e.ext_data.info = { feature: [0.5, -0.25] };
  });
  assert.deepEqual(twice.row.feature, [0.5, -0.25]);
  assert.equal(twice.line, JSON.stringify(twice.row));

  const none = lineFor((e) => delete e.ext_data.info);
  assert.deepEqual(none.row.feature, []);
  assert.equal(none.line, JSON.stringify(none.row));
});

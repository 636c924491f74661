/**
 * Registration requests built exactly as the gateway builds them: a device's HistoryEvent
 * through the contract's adapter, into the Kafka messages it publishes.
 */
import assert from 'node:assert/strict';
import { createHistoryEventAdapter, decodeHistoryEventMessage, DEFAULT_TOPICS, type HistoryEventMessage, type OutboundMessage } from '@sophon/event-contract';
import { sampleHistoryEvent, type SampleOverrides } from '@sophon/event-contract/testing';

export const RECEIVED_AT = Date.parse('2024-05-02T08:00:00Z');
/** The operator's stranger group in these tests: not the worker's default, so the tests prove it is read. */
export const STRANGER_GROUP = 'test-strangers';
export const POLICY = { strangerGroup: STRANGER_GROUP };
export const FEATURE = Array.from({ length: 512 }, (_, i) => (((i * 37) % 201) - 100) / 100);

const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 1024 * 1024 });

/** What the gateway publishes for one device event: its pictures, then the history-events message. */
export function gatewayMessages(overrides: SampleOverrides): OutboundMessage[] {
  const result = adapter.parse(sampleHistoryEvent(overrides), { receivedAt: RECEIVED_AT });
  assert.ok(result.ok, `the sample event is invalid: ${JSON.stringify(result)}`);
  return result.messages;
}

/** The history-events message of one device event, decoded as a consumer sees it. */
export function historyEventMessage(overrides: SampleOverrides): HistoryEventMessage {
  const message = gatewayMessages(overrides).find((m) => m.topic === DEFAULT_TOPICS.historyEvents);
  assert.ok(message);
  return decodeHistoryEventMessage(message.value);
}

export const strangerEvent = (ext: SampleOverrides = {}, event: SampleOverrides = {}): SampleOverrides => ({
  want_action: '1001',
  identity_id: '1602612036.3828533',
  identity_name: 'stranger',
  reg_pic: undefined,
  ...event,
  ext_data: { person_type: 4, ...ext },
});

export const faceUpdateEvent = (ext: SampleOverrides = {}, event: SampleOverrides = {}): SampleOverrides => ({
  want_action: '1002',
  identity_id: 'emp-0042',
  identity_name: 'Tom',
  group_name: 'staff',
  ...event,
  ext_data: ext,
});

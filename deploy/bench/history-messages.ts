/**
 * history-events messages as the gateway publishes them, for the writer benchmark: the simulator's
 * events (every person type, attributes with 512-number features or none) through the contract's
 * adapter. Pictures are tiny stand-ins (the writer only sees their references), in the mixed
 * profile's proportions.
 */
import { createHistoryEventAdapter, DEFAULT_TOPICS, type OutboundMessage } from '@sophon/event-contract';
import { tinyImage } from '@sophon/event-contract/testing';
import { createEventGenerator, createRandom, simulatedDevices } from '@sophon/device-simulator';

export function historyEventMessages(count: number, seed = 11): OutboundMessage[] {
  const adapter = createHistoryEventAdapter({ topics: DEFAULT_TOPICS, maxPictureBytes: 1024 * 1024 });
  const random = createRandom(seed);
  const generator = createEventGenerator({ profile: 'small', random });
  const devices = simulatedDevices({ count: 500 });
  const messages: OutboundMessage[] = [];
  for (let i = 0; i < count; i++) {
    const event = generator.next(devices[i % devices.length]!) as { reg_pic?: string; ext_data: Record<string, unknown> };
    const roll = random.next();
    if (roll < 0.75) {
      event.ext_data['spot_pic'] = tinyImage('jpeg', 200 + (i % 97)).toString('base64');
      event.ext_data['recognize_face'] = tinyImage('jpeg', 120 + (i % 89)).toString('base64');
    }
    if (roll < 0.4) {
      event.ext_data['ir_pic'] = tinyImage('jpeg', 150 + (i % 83)).toString('base64');
      event.reg_pic = tinyImage('jpeg', 180 + (i % 79)).toString('base64');
    }
    const result = adapter.parse(event, { receivedAt: Date.now() });
    if (!result.ok) throw new Error(`generated event rejected: ${JSON.stringify(result.errors)}`);
    messages.push(result.messages.find((message) => message.topic === DEFAULT_TOPICS.historyEvents)!);
  }
  return messages;
}

import type { MessageSink } from '@sophon/kafka';

/**
 * One sink for a consumer of several topics: the runner hands over one partition's messages at a
 * time, so every batch belongs to one topic and goes whole to that topic's sink.
 */
export function createTopicDispatchSink(sinks: Readonly<Record<string, MessageSink>>): MessageSink {
  return {
    async handleBatch(messages, context) {
      const topic = messages[0]?.topic;
      if (topic === undefined) return;
      const sink = sinks[topic];
      if (sink === undefined) throw new Error(`no sink for topic ${topic} (the consumer reads ${Object.keys(sinks).join(', ')})`);
      return sink.handleBatch(messages, context);
    },
  };
}

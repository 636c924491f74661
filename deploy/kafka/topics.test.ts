/**
 * deploy/kafka/topics.json is the one list of the pipeline's topics (compose's kafka-init, the
 * local stack and the test broker create what it says). The names the code uses by default, in
 * the event contract and in the services' settings, are checked against it here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consumerEnv, kafkaEnv } from '@sophon/config';
import { DEFAULT_TOPICS } from '@sophon/event-contract';
import { DEFAULT_TOPICS_FILE, readTopicDefinitions } from '@sophon/kafka';

const listed = readTopicDefinitions(DEFAULT_TOPICS_FILE).map((topic) => topic.name);

test('topics.json lists exactly the topics the event contract names', () => {
  assert.deepEqual([...listed].sort(), Object.values(DEFAULT_TOPICS).sort());
});

test("the services' topic settings default to the names topics.json lists", () => {
  const defaults = {
    historyEvents: kafkaEnv.KAFKA_TOPIC_HISTORY_EVENTS.parse(undefined),
    eventImages: kafkaEnv.KAFKA_TOPIC_EVENT_IMAGES.parse(undefined),
    quarantine: kafkaEnv.KAFKA_TOPIC_QUARANTINE.parse(undefined),
    deadLetter: consumerEnv.KAFKA_TOPIC_DEAD_LETTER.parse(undefined),
  };
  for (const [role, name] of Object.entries(defaults)) {
    assert.equal(name, DEFAULT_TOPICS[role as keyof typeof DEFAULT_TOPICS], role);
    assert.ok(listed.includes(name), `${role}: ${name} is in topics.json`);
  }
});

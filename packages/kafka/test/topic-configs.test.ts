import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Admin, DescribeConfigResponse } from 'kafkajs';
import { createLogger } from '@sophon/logger';
import { readTopicDefinitions, reconcileTopicConfigs, DEFAULT_TOPICS_FILE } from '../src/index.js';

/**
 * The test broker has no admin APIs, so the config update is checked at the admin seam: a
 * topic created by an older release (history-events at Kafka's 1 MiB) is brought up to the file.
 */
const logger = createLogger({ service: 'topic-configs', level: 'silent' });

function adminWith(current: Record<string, Record<string, string>>) {
  const altered: { name: string; configEntries: { name: string; value: string }[] }[] = [];
  const admin: Pick<Admin, 'describeConfigs' | 'alterConfigs'> = {
    describeConfigs: async ({ resources }): Promise<DescribeConfigResponse> => ({
      throttleTime: 0,
      resources: resources.map((resource) => ({
        errorCode: 0,
        errorMessage: '',
        resourceType: resource.type,
        resourceName: resource.name,
        configEntries: Object.entries(current[resource.name] ?? {}).map(([configName, configValue]) => ({
          configName,
          configValue,
          isDefault: false,
          configSource: 1,
          isSensitive: false,
          readOnly: false,
          configSynonyms: [],
        })),
      })),
    }),
    alterConfigs: async ({ resources }) => {
      altered.push(...resources.map((resource) => ({ name: resource.name, configEntries: resource.configEntries })));
    },
  };
  return { admin, altered };
}

test('an existing topic whose config differs from topics.json is updated to it; matching topics are left alone', async () => {
  const topics = readTopicDefinitions(DEFAULT_TOPICS_FILE);
  const current = Object.fromEntries(topics.map((topic) => [topic.name, { ...topic.config }]));
  current['history-events']!['max.message.bytes'] = '1048576';
  const { admin, altered } = adminWith(current);

  assert.deepEqual(await reconcileTopicConfigs(admin, topics, logger), ['history-events']);
  const wanted = topics.find((topic) => topic.name === 'history-events')!.config;
  assert.deepEqual(altered, [{ name: 'history-events', configEntries: Object.entries(wanted).map(([name, value]) => ({ name, value })) }]);

  const upToDate = adminWith(Object.fromEntries(topics.map((topic) => [topic.name, { ...topic.config }])));
  assert.deepEqual(await reconcileTopicConfigs(upToDate.admin, topics, logger), []);
  assert.deepEqual(upToDate.altered, []);
});

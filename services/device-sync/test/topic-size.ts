import { createKafkaClient } from '@sophon/kafka';
import { createLogger } from '@sophon/logger';

/** Messages on the topic: the sum of its partitions' high watermarks. */
export async function topicSize(brokers: string[], topic: string): Promise<number> {
  const admin = createKafkaClient({ brokers, clientId: 'device-sync-test-admin' }, createLogger({ service: 'test', level: 'silent' })).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

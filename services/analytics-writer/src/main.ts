import { bootService } from '@sophon/lifecycle';
import { startAnalyticsWriter } from './analytics-writer.js';
import { loadAnalyticsWriterConfig } from './config.js';

await bootService('analytics-writer', loadAnalyticsWriterConfig, startAnalyticsWriter);

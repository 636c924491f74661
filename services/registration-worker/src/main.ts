import { bootService } from '@sophon/lifecycle';
import { loadRegistrationWorkerConfig } from './config.js';
import { SERVICE, startRegistrationWorker } from './registration-worker.js';

await bootService(SERVICE, loadRegistrationWorkerConfig, startRegistrationWorker);

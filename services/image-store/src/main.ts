import { bootService } from '@sophon/lifecycle';
import { loadImageStoreConfig } from './config.js';
import { startImageStore } from './image-store.js';

await bootService('image-store', loadImageStoreConfig, startImageStore);

import { bootService } from '@sophon/lifecycle';
import { loadDeviceSyncConfig } from './config.js';
import { SERVICE, startDeviceSync } from './device-sync.js';

await bootService(SERVICE, loadDeviceSyncConfig, startDeviceSync);

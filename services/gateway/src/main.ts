import { bootService } from '@sophon/lifecycle';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

await bootService('gateway', loadGatewayConfig, startGateway);

import { describeClickHouseError, insertIsolatingRefusedRows, insertRows, type ClickHouseClient } from '@sophon/clickhouse';
import { decodeDeviceStatusMessage } from '@sophon/event-contract';
import { PermanentError, type ConsumedMessage, type MessageSink, type SinkResult } from '@sophon/kafka';
import { deviceStatusRows, type DeviceCameraRow, type DeviceStatusRow } from './device-status-row.js';

/**
 * device-status messages -> `device_cameras` and `device_status` rows. A few reports per box and
 * period: each partition batch is inserted as it comes, no batching across batches. Cameras first,
 * so a report visible in `device_status` has its cameras already. Copies (replays, a box's retry)
 * collapse in ClickHouse on report_id.
 */
export function createDeviceStatusSink(options: { client: ClickHouseClient; database: string }): MessageSink {
  const table = (name: string) => ({ database: options.database, table: name });
  return {
    async handleBatch(messages: ConsumedMessage[]): Promise<SinkResult> {
      const rejected: { message: ConsumedMessage; error: unknown }[] = [];
      const reports: { message: ConsumedMessage; status: DeviceStatusRow; cameras: DeviceCameraRow[] }[] = [];
      const insertedAt = Date.now();
      for (const message of messages) {
        try {
          reports.push({ message, ...deviceStatusRows(decodeDeviceStatusMessage(message.value), message, insertedAt) });
        } catch (error) {
          rejected.push({ message, error: new PermanentError(`not a storable device status report: ${(error as Error).message}`, { cause: error }) });
        }
      }
      // One report's rows stand or fall together: a report ClickHouse refuses is split out and dead-lettered alone.
      const insert = async (batch: typeof reports) => {
        const cameras = batch.flatMap((report) => report.cameras);
        if (cameras.length > 0) await insertRows(options.client, table('device_cameras'), cameras);
        if (batch.length > 0) await insertRows(options.client, table('device_status'), batch.map((report) => report.status));
      };
      for (const { index, error } of await insertIsolatingRefusedRows(insert, reports)) {
        rejected.push({ message: reports[index]!.message, error: new PermanentError(`ClickHouse refused the report: ${describeClickHouseError(error)}`, { cause: error }) });
      }
      return { rejected };
    },
  };
}

import { insertRows, sqlString, type ClickHouseClient } from '@sophon/clickhouse';

const TABLE = 'device_deliveries';
const LOOKUP_CHUNK = 2_000;

export type DeliveryOutcome = 'pushed' | 'already_present' | 'refused' | 'unreachable' | 'no_address' | 'picture_missing' | 'gave_up';

/** One attempt to deliver one registration to one box: a row of device_deliveries (0004). */
export interface DeliveryRow {
  registration_id: string;
  dev_sno: string;
  command: 'create_person' | 'update_person_face';
  identity_id: string;
  outcome: DeliveryOutcome;
  attempt: number;
  box_address: string;
  http_status: number;
  error: string;
  source_dev_sno: string;
  event_id: string;
  event_time: number;
  event_time_ms: number;
  attempted_at: number;
  attempted_at_ms: number;
}

/** The delivery log, which is also the service's memory of what each box already holds. */
export interface DeliveriesTable {
  /** `${registration_id}\n${dev_sno}` of the pairs already delivered (pushed or already present). */
  delivered(registrationIds: readonly string[]): Promise<Set<string>>;
  record(rows: readonly DeliveryRow[]): Promise<void>;
}

export const deliveryKey = (registrationId: string, box: string) => `${registrationId}\n${box}`;

export function clickhouseDeliveries(client: ClickHouseClient): DeliveriesTable {
  return {
    async delivered(registrationIds) {
      const unique = [...new Set(registrationIds)];
      const found = new Set<string>();
      for (let start = 0; start < unique.length; start += LOOKUP_CHUNK) {
        const ids = unique.slice(start, start + LOOKUP_CHUNK).map(sqlString).join(', ');
        const result = await client.query({
          query: `SELECT DISTINCT registration_id, dev_sno FROM ${TABLE} WHERE registration_id IN (${ids}) AND outcome IN ('pushed', 'already_present')`,
          format: 'JSONEachRow',
        });
        for (const row of await result.json<{ registration_id: string; dev_sno: string }>()) found.add(deliveryKey(row.registration_id, row.dev_sno));
      }
      return found;
    },
    record: (rows) => insertRows(client, TABLE, rows),
  };
}

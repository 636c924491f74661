import { HEADERS, type PersonType } from '@sophon/event-contract';
import type { ProducerRecord } from '@sophon/kafka';

/** Version of the face-registrations message body; bumped on incompatible changes. */
export const FACE_REGISTRATION_SCHEMA_VERSION = 1;

export const REGISTRATION_ID_HEADER = 'registration-id';

/**
 * The value (JSON) of a message on the face-registrations topic; key = identity_id, so one
 * identity's commands stay in order on one partition. Shaped after the box's create-person API
 * (POST /SophonFogSys/api/users) so that a device-sync component can push it to boxes: it fetches
 * `reg_photo_key` from the pictures bucket and sends the bytes, base64, as `reg_photo`.
 *
 * Delivery is at least once: a worker that dies between publishing and recording its decision
 * publishes the same command again on retry. Consumers dedupe by `registration_id`.
 */
export interface FaceRegistrationCommand {
  schema_version: typeof FACE_REGISTRATION_SCHEMA_VERSION;
  /** create-person: a new stranger (1001). update-person-face: replace a person's face (1002). */
  command: 'create-person' | 'update-person-face';
  /** `<event_id>:<action>`: the idempotency key. */
  registration_id: string;
  identity_id: string;
  group_name: string;
  /** True when registering by `feature` (there is no face picture): the box's import_mode. */
  import_mode: boolean;
  /** Object key of the face crop in the pictures bucket; null when registering by feature. */
  reg_photo_key: string | null;
  /** The box-extracted feature vector, when the event carried one. */
  feature?: number[];
  /** Creates, or updates an identity that already exists (a retry, the same stranger again). */
  ignore_exist: true;
  /** True for updates: the box drops the person's previous faces. */
  support_single_face: boolean;
  info: { name: string; type: PersonType };
  source: { event_id: string; dev_sno: string; ep_id: string; event_time_ms: number };
}

export function faceRegistrationRecord(topic: string, command: FaceRegistrationCommand): ProducerRecord {
  return {
    topic,
    key: command.identity_id,
    value: Buffer.from(JSON.stringify(command)),
    headers: {
      [HEADERS.eventId]: command.source.event_id,
      [REGISTRATION_ID_HEADER]: command.registration_id,
      [HEADERS.schemaVersion]: String(FACE_REGISTRATION_SCHEMA_VERSION),
      [HEADERS.contentType]: 'application/json',
    },
  };
}

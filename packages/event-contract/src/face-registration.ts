import { ContractError } from './errors.js';
import { HEADERS } from './headers.js';
import type { PersonType } from './history-event/types.js';

/** Version of the face-registrations message body; bumped on incompatible changes. */
export const FACE_REGISTRATION_SCHEMA_VERSION = 1;

/** The header carrying a command's `registration_id`, so dead letters and readers find it without parsing. */
export const REGISTRATION_ID_HEADER = 'registration-id';

/**
 * The value (JSON) of a message on the face-registrations topic; key = identity_id, so one
 * identity's commands stay in order on one partition. Shaped after the box's create-person API
 * (POST /SophonFogSys/api/users): device-sync fetches `reg_photo_key` from the pictures bucket
 * and sends the bytes, base64, as `reg_photo`.
 *
 * Delivery is at least once: a worker that dies between publishing and recording its decision
 * publishes the same command again on retry. Consumers dedupe by `registration_id`. Only
 * accepted registrations are published: a refused one never reaches this topic.
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

/** A face-registrations message without its topic (the topic name is configuration). */
export interface FaceRegistrationMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export function encodeFaceRegistration(command: FaceRegistrationCommand): FaceRegistrationMessage {
  return {
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

const MAX_ID = 256;
const MAX_OBJECT_KEY = 1024; // S3's limit
const PERSON_TYPES: ReadonlySet<unknown> = new Set<PersonType>([1, 2, 3, 4, 5]);

/** For consumers: parses and checks a command; throws ContractError naming the first field that breaks the contract. */
export function decodeFaceRegistration(value: Buffer): FaceRegistrationCommand {
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new ContractError(`face-registration is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const fail = (field: string, why: string): never => {
    throw new ContractError(`face-registration field ${field} ${why}`, { errors: [{ pointer: `/${field}`, message: why }] });
  };
  if (!isObject(body)) return fail('(body)', 'must be a JSON object');
  if (body['schema_version'] !== FACE_REGISTRATION_SCHEMA_VERSION) {
    fail('schema_version', `must be ${FACE_REGISTRATION_SCHEMA_VERSION} (got ${JSON.stringify(body['schema_version'])})`);
  }
  if (body['command'] !== 'create-person' && body['command'] !== 'update-person-face') fail('command', 'must be create-person or update-person-face');
  for (const field of ['registration_id', 'identity_id', 'group_name'] as const) {
    const text = body[field];
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_ID) fail(field, `must be a string of 1 to ${MAX_ID} characters`);
  }
  if (typeof body['import_mode'] !== 'boolean') fail('import_mode', 'must be a boolean');
  if (typeof body['support_single_face'] !== 'boolean') fail('support_single_face', 'must be a boolean');
  const key = body['reg_photo_key'];
  if (key !== null && (typeof key !== 'string' || key.length === 0 || key.length > MAX_OBJECT_KEY)) fail('reg_photo_key', 'must be null or an object key');
  const feature = body['feature'];
  if (feature !== undefined && (!Array.isArray(feature) || feature.length === 0 || !feature.every((x) => typeof x === 'number' && Number.isFinite(x)))) {
    fail('feature', 'must be a non-empty array of numbers');
  }
  if (body['import_mode'] === true && feature === undefined) fail('feature', 'is required when import_mode is true');
  if (body['import_mode'] === false && key === null) fail('reg_photo_key', 'is required when import_mode is false');
  const info = body['info'];
  if (!isObject(info) || typeof info['name'] !== 'string' || !PERSON_TYPES.has(info['type'])) fail('info', 'must be {name: string, type: 1 to 5}');
  const source = body['source'];
  if (!isObject(source) || typeof source['event_id'] !== 'string' || typeof source['dev_sno'] !== 'string' || source['dev_sno'] === '' || typeof source['event_time_ms'] !== 'number') {
    fail('source', 'must carry event_id, dev_sno and event_time_ms');
  }
  return body as unknown as FaceRegistrationCommand;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The HistoryEvent JSON Schema (draft-07), in normalised form (see normalise.ts for what devices
 * actually send). Unknown properties are allowed everywhere and kept. This schema is also the
 * documentation: titles and descriptions come from the device contract
 * (spec/history-event-upload.md).
 */

export type JsonSchemaObject = { readonly [keyword: string]: unknown };

export const HISTORY_EVENT_SCHEMA_ID = 'urn:sophon:schema:history-event:1';
export const MAX_DEV_SNO_LENGTH = 128;
export const TIMESTAMP_MIN_MS = Date.UTC(2000, 0, 1);
export const TIMESTAMP_MAX_MS = Date.UTC(2100, 0, 1);
export const MAX_FEATURE_LENGTH = 4096;

const picture = (title: string, description: string) => ({
  type: 'string',
  contentEncoding: 'base64',
  title,
  description:
    `${description} Base64 of a JPEG, PNG, BMP or WebP, possibly with a data:image/…;base64, prefix and line breaks; ` +
    '"" or null means absent. Absent from the normalised event in Kafka: the picture travels as its own message ' +
    '(topic event-images) and is referenced from `pictures`.',
});

export const timestampSchema = {
  type: 'integer',
  minimum: TIMESTAMP_MIN_MS,
  maximum: TIMESTAMP_MAX_MS,
  title: 'Event time',
  description:
    'When the event happened, in milliseconds since the epoch, from 2000-01-01 to 2100-01-01 UTC. Documented as int32, ' +
    'but devices send 13-digit milliseconds, or seconds (values below 1e11 are taken as seconds), as a number or a numeric string.',
  examples: [1565771454932],
};

export const personTypeSchema = {
  type: 'integer',
  minimum: 1,
  maximum: 5,
  default: 1,
  title: 'Person type',
  description:
    '1 employee (the default, also when the field is missing), 2 visitor, 3 blacklist, 4 stranger, 5 VIP. ' +
    'A stranger (4) whose fiqa_result is false has a poor-quality picture and must not be pushed down to devices for registration.',
  examples: [1],
};

export const deviceTypeSchema = {
  type: 'string',
  pattern: '^[0-9]+$',
  maxLength: 16,
  title: 'Capture device type',
  description: 'Known values: "0" gate, "1" snapshot camera, "3" IPC (dynamic), "4" access control. Numbers are turned into strings.',
  examples: ['0'],
};

export const featureSchema = {
  type: 'array',
  items: { type: 'number' },
  maxItems: MAX_FEATURE_LENGTH,
  title: 'Face feature vector',
  description: 'The extracted face feature values (512 numbers when filled). An empty list means absent.',
};

export const boxSchema = {
  type: 'array',
  items: { type: 'number' },
  minItems: 4,
  maxItems: 4,
  title: 'Face bounding box',
  description: 'The face bounding box [x1, y1, x2, y2]. An empty list means absent.',
  examples: [[100, 120, 180, 220]],
};

const infoSchema = {
  type: 'object',
  title: 'Face attributes',
  description: 'Face attributes; often absent (attribute detection is off by default). Empty-string attributes mean absent.',
  properties: {
    age: {
      type: 'string',
      enum: ['child', 'juvenile', 'youth', 'middle-aged', 'aged'],
      title: 'Age bracket',
      description: 'child (0–5), juvenile (6–17), youth (18–39), middle-aged (40–64), aged (65+).',
    },
    gender: { type: 'string', enum: ['male', 'female'], title: 'Gender' },
    glasses: { type: 'string', enum: ['yes', 'no'], title: 'Wears glasses' },
    feature: featureSchema,
    box: boxSchema,
  },
};

const extDataSchema = {
  type: 'object',
  title: 'Extension data',
  description: 'Extension data; more fields are added over time by firmware, and unknown fields are kept as sent.',
  required: ['device_ip', 'ep_id', 'dev_sno', 'person_type', 'device_type'],
  properties: {
    device_ip: { type: 'string', maxLength: 128, title: 'Device IP', examples: ['192.168.1.101'] },
    ep_id: {
      type: 'string',
      minLength: 1,
      maxLength: 2 * MAX_DEV_SNO_LENGTH + 2,
      title: 'Edge-point id',
      description:
        'Id of the capture device attached to the box: `<dev_sno>__<device_ip>` (double underscore). ' +
        'When missing it is derived as `${dev_sno}__${device_ip}`.',
      examples: ['3714be15-09b3-41ec-b9ce-62b668e5fa32__192.168.1.101'],
    },
    dev_sno: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_DEV_SNO_LENGTH,
      title: 'Box serial',
      description:
        "The box's unique authorisation serial. When missing it is derived from ep_id (the part before the first \"__\"), " +
        'else taken from the device the upload token is bound to.',
      examples: ['3714be15-09b3-41ec-b9ce-62b668e5fa32'],
    },
    spot_pic: picture('Scene picture', 'The scene (background) picture.'),
    ir_pic: picture('Infrared picture', 'The infrared picture of the face.'),
    recognize_face: picture('Face crop', 'The face cropped from the scene picture.'),
    person_type: personTypeSchema,
    device_type: deviceTypeSchema,
    fiqa_result: {
      type: 'boolean',
      title: 'Face image quality passed',
      description:
        'Face image quality assessment result (true = good quality). Not in the field table, only in its comment; ' +
        'also read from a top-level fiqa_result or ext_data.box_fiqa_info.fiqa_result (older firmware), and from ' +
        '"True"/"False"/"true"/"false"/1/0.',
    },
    info: infoSchema,
  },
};

export const historyEventSchema: JsonSchemaObject = {
  $id: HISTORY_EVENT_SCHEMA_ID,
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'HistoryEvent',
  description:
    'One recognition event (one face) reported by a Sophon SE3 box, POSTed as JSON to the event server. ' +
    'Unknown fields, anywhere, are allowed and kept.',
  type: 'object',
  required: ['identity_id', 'identity_name', 'group_name', 'timestamp', 'score', 'want_action', 'ext_data'],
  properties: {
    identity_id: {
      type: 'string',
      maxLength: 256,
      title: 'Person number',
      description: 'The person (user) number; strangers get ids like "1602612036.3828533". Numbers are turned into strings.',
      examples: ['13435454'],
    },
    identity_name: { type: 'string', maxLength: 512, title: 'Person name', examples: ['Tom'] },
    group_name: {
      type: 'string',
      maxLength: 256,
      title: 'Face group',
      description: 'The face group matched; the group id when the group has no name.',
      examples: ['default_group'],
    },
    reg_pic: picture('Registered picture', 'The registered face picture from the face library; boxes can be configured to leave it out.'),
    timestamp: timestampSchema,
    score: {
      type: 'number',
      title: 'Match score',
      description: 'The comparison score, kept as sent: 0–1 on some firmware, 0–100 on later versions.',
      examples: [0.23],
    },
    want_action: {
      type: 'string',
      enum: ['0', '1001', '1002'],
      default: '0',
      title: 'Wanted action',
      description:
        'What the platform should do: "0" nothing extra (the default, also when missing, as on old firmware), ' +
        '"1001" register a new stranger, "1002" update the person\'s registered face picture.',
    },
    ext_data: extDataSchema,
  },
};

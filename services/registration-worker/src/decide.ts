import { epochSeconds } from '@sophon/clickhouse';
import { FACE_REGISTRATION_SCHEMA_VERSION, type FaceRegistrationCommand, type HistoryEventMessage, type WantAction } from '@sophon/event-contract';
import type { RegistrationAction, RegistrationRow } from './registrations-table.js';
import { strangerIdentityId } from './stranger-identity.js';

/**
 * The want_action values this worker acts on, as the registrations table names them. A Map, so
 * that a header such as "toString" finds nothing (an object literal would find its prototype).
 */
export const REGISTRATION_ACTIONS: ReadonlyMap<string, RegistrationAction> = new Map<WantAction, RegistrationAction>([
  ['1001', 'new_stranger'],
  ['1002', 'face_update'],
]);

export const REFUSAL_REASONS = {
  /** The spec: a picture that failed the box's quality check must never be pushed down. */
  poorQuality: 'face quality check failed',
  /** Replacing a known person's face needs the box's word that the new face is good. */
  qualityUnknown: 'face update without fiqa_result true',
  /** Only a face the box matched to that person may replace the person's face. */
  notRecognised: 'face update for a stranger (person_type 4): the box did not recognise that person',
  noIdentity: 'no identity_id',
  noFace: 'no face picture and no feature vector',
  /** The box's create-person API requires a group. */
  noGroup: 'no group_name',
  /** The box's API binds every comma-separated group: a face update must not add the person to more. */
  manyGroups: 'group_name names more than one group',
} as const;

/** The name and person type every stranger is registered with, whatever the event claims. */
export const STRANGER_NAME = 'stranger';
export const STRANGER_PERSON_TYPE = 4;

/** What the operator decides, not the device (config: REGISTRATION_STRANGER_GROUP). */
export interface RegistrationPolicy {
  /** The one group new strangers are registered into. */
  strangerGroup: string;
}

export const BY_FEATURE_NOTE = 'no face picture: feature vector used';

/** The idempotency key of a decision: its command's registration_id and its audit row's key. */
export const registrationId = (eventId: string, action: RegistrationAction): string => `${eventId}:${action}`;

export interface RegistrationDecision {
  registrationId: string;
  /** The audit row, but for when it was decided. */
  audit: Omit<RegistrationRow, 'decided_at' | 'decided_at_ms'>;
  /** What the boxes must do; undefined when the request is refused. */
  command: FaceRegistrationCommand | undefined;
}

/**
 * What to do with one history event: undefined when it asks for nothing (want_action 0),
 * otherwise a refusal or a command, with its audit row.
 *
 * The event is a device's claim, so it never chooses anyone's access: a 1001 registers a
 * stranger (type 4) into the configured stranger group, whatever group_name and person_type
 * the event carries (an event claiming "staff" or VIP would otherwise enrol an unknown face
 * there). A 1002 replaces a person's face only when the box itself recognised that person in
 * this event (not a stranger, an identity_id) and rated the new face good (fiqa_result true):
 * otherwise any box could give anyone's identity a new face.
 *
 * The registered picture is the face crop (recognize_face) and nothing else: the scene picture
 * (spot_pic) may hold several faces, so the box could enrol the wrong one, and reg_pic is the
 * face-library picture that a 1002 update is replacing (a stranger has none). Without a face
 * crop, the box's feature vector is used (import_mode); with both, the picture wins, because a
 * feature only matches boxes running the same model, while each box extracts its own from a
 * picture. The feature still travels, for a sync component that cannot fetch the picture.
 */
export function decideRegistration(message: HistoryEventMessage, policy: RegistrationPolicy): RegistrationDecision | undefined {
  const { event } = message;
  const action = REGISTRATION_ACTIONS.get(event.want_action);
  if (action === undefined) return undefined;
  const ext = event.ext_data;
  const facePicKey = message.pictures.find((picture) => picture.kind === 'recognize_face')?.object_key;
  const feature = ext.info?.feature !== undefined && ext.info.feature.length > 0 ? ext.info.feature : undefined;
  const identityId = platformIdentity(action, ext.dev_sno, event.identity_id);
  const isStranger = action === 'new_stranger';
  const groupName = isStranger ? policy.strangerGroup : event.group_name;

  const request = { fiqaResult: ext.fiqa_result, identityId, hasFace: facePicKey !== undefined || feature !== undefined };
  const refusal = isStranger ? strangerRefusal(request) : faceUpdateRefusal({ ...request, personType: ext.person_type, groupName });

  const id = registrationId(message.event_id, action);
  const audit: RegistrationDecision['audit'] = {
    event_id: message.event_id,
    action,
    identity_id: identityId,
    outcome: refusal !== undefined ? 'refused' : action === 'new_stranger' ? 'registered' : 'updated',
    reason: refusal ?? (facePicKey === undefined ? BY_FEATURE_NOTE : ''),
    dev_sno: ext.dev_sno,
    group_name: groupName,
    face_pic_key: facePicKey ?? '',
    event_time: epochSeconds(event.timestamp),
    event_time_ms: event.timestamp,
  };
  if (refusal !== undefined) return { registrationId: id, audit, command: undefined };

  const command: FaceRegistrationCommand = {
    schema_version: FACE_REGISTRATION_SCHEMA_VERSION,
    command: action === 'new_stranger' ? 'create-person' : 'update-person-face',
    registration_id: id,
    identity_id: identityId,
    group_name: groupName,
    import_mode: facePicKey === undefined,
    reg_photo_key: facePicKey ?? null,
    ...(feature !== undefined && { feature }),
    ignore_exist: true,
    support_single_face: action === 'face_update',
    info: isStranger ? { name: STRANGER_NAME, type: STRANGER_PERSON_TYPE } : { name: event.identity_name, type: ext.person_type },
    source: { event_id: message.event_id, dev_sno: ext.dev_sno, ep_id: ext.ep_id, event_time_ms: event.timestamp },
  };
  return { registrationId: id, audit, command };
}

/** A stranger gets an identity derived from the box's id for it; a face update names its person. '' when the box sent no id. */
function platformIdentity(action: RegistrationAction, devSno: string, boxIdentityId: string): string {
  if (boxIdentityId.trim() === '') return '';
  return action === 'new_stranger' ? strangerIdentityId(devSno, boxIdentityId) : boxIdentityId;
}

interface RequestFacts {
  fiqaResult: boolean | undefined;
  identityId: string;
  hasFace: boolean;
}

/** The first reason that forbids registering a stranger, in the order the checks matter; undefined when none does. */
function strangerRefusal(request: RequestFacts): string | undefined {
  // Only an explicit false fails: firmware that does not assess quality sends nothing, and a
  // stranger's registration changes nobody else's face.
  if (request.fiqaResult === false) return REFUSAL_REASONS.poorQuality;
  if (request.identityId === '') return REFUSAL_REASONS.noIdentity;
  if (!request.hasFace) return REFUSAL_REASONS.noFace;
  return undefined;
}

/** The same for a face update, which must be the box's recognition of that person with a good face. */
function faceUpdateRefusal(request: RequestFacts & { personType: number; groupName: string }): string | undefined {
  if (request.identityId === '') return REFUSAL_REASONS.noIdentity;
  if (request.personType === STRANGER_PERSON_TYPE) return REFUSAL_REASONS.notRecognised;
  if (request.fiqaResult === false) return REFUSAL_REASONS.poorQuality;
  if (request.fiqaResult !== true) return REFUSAL_REASONS.qualityUnknown;
  if (!request.hasFace) return REFUSAL_REASONS.noFace;
  if (request.groupName.trim() === '') return REFUSAL_REASONS.noGroup;
  if (request.groupName.includes(',')) return REFUSAL_REASONS.manyGroups;
  return undefined;
}

export function registrationRow(decision: RegistrationDecision, decidedAtMs: number): RegistrationRow {
  return { ...decision.audit, decided_at: epochSeconds(decidedAtMs), decided_at_ms: decidedAtMs };
}

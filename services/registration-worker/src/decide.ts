import { epochSeconds, type RegistrationAction, type RegistrationRow } from '@sophon/clickhouse';
import type { HistoryEventMessage, WantAction } from '@sophon/event-contract';
import { FACE_REGISTRATION_SCHEMA_VERSION, type FaceRegistrationCommand } from './face-registration.js';
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
  noIdentity: 'no identity_id',
  noFace: 'no face picture and no feature vector',
  /** The box's create-person API requires a group. */
  noGroup: 'no group_name',
} as const;

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
 * The registered picture is the face crop (recognize_face) and nothing else: the scene picture
 * (spot_pic) may hold several faces, so the box could enrol the wrong one, and reg_pic is the
 * face-library picture that a 1002 update is replacing (a stranger has none). Without a face
 * crop, the box's feature vector is used (import_mode); with both, the picture wins, because a
 * feature only matches boxes running the same model, while each box extracts its own from a
 * picture. The feature still travels, for a sync component that cannot fetch the picture.
 */
export function decideRegistration(message: HistoryEventMessage): RegistrationDecision | undefined {
  const { event } = message;
  const action = REGISTRATION_ACTIONS.get(event.want_action);
  if (action === undefined) return undefined;
  const ext = event.ext_data;
  const facePicKey = message.pictures.find((picture) => picture.kind === 'recognize_face')?.object_key;
  const feature = ext.info?.feature !== undefined && ext.info.feature.length > 0 ? ext.info.feature : undefined;
  const identityId = platformIdentity(action, ext.dev_sno, event.identity_id);

  const refusal = refusalReason({
    fiqaResult: ext.fiqa_result,
    identityId,
    hasFace: facePicKey !== undefined || feature !== undefined,
    groupName: event.group_name,
  });

  const id = registrationId(message.event_id, action);
  const audit: RegistrationDecision['audit'] = {
    event_id: message.event_id,
    action,
    identity_id: identityId,
    outcome: refusal !== undefined ? 'refused' : action === 'new_stranger' ? 'registered' : 'updated',
    reason: refusal ?? (facePicKey === undefined ? BY_FEATURE_NOTE : ''),
    dev_sno: ext.dev_sno,
    group_name: event.group_name,
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
    group_name: event.group_name,
    import_mode: facePicKey === undefined,
    reg_photo_key: facePicKey ?? null,
    ...(feature !== undefined && { feature }),
    ignore_exist: true,
    support_single_face: action === 'face_update',
    info: { name: event.identity_name, type: ext.person_type },
    source: { event_id: message.event_id, dev_sno: ext.dev_sno, ep_id: ext.ep_id, event_time_ms: event.timestamp },
  };
  return { registrationId: id, audit, command };
}

/** A stranger gets an identity derived from the box's id for it; a face update names its person. '' when the box sent no id. */
function platformIdentity(action: RegistrationAction, devSno: string, boxIdentityId: string): string {
  if (boxIdentityId.trim() === '') return '';
  return action === 'new_stranger' ? strangerIdentityId(devSno, boxIdentityId) : boxIdentityId;
}

/** The first reason that forbids the registration, in the order the checks matter; undefined when none does. */
function refusalReason(request: { fiqaResult: boolean | undefined; identityId: string; hasFace: boolean; groupName: string }): string | undefined {
  // Only an explicit false fails: firmware that does not assess quality sends nothing.
  if (request.fiqaResult === false) return REFUSAL_REASONS.poorQuality;
  if (request.identityId === '') return REFUSAL_REASONS.noIdentity;
  if (!request.hasFace) return REFUSAL_REASONS.noFace;
  if (request.groupName.trim() === '') return REFUSAL_REASONS.noGroup;
  return undefined;
}

export function registrationRow(decision: RegistrationDecision, decidedAtMs: number): RegistrationRow {
  return { ...decision.audit, decided_at: epochSeconds(decidedAtMs), decided_at_ms: decidedAtMs };
}

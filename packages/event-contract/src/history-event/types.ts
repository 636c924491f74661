/**
 * TypeScript view of `historyEventSchema`. Index signatures stand for the unknown fields the
 * contract keeps (ext_data above all is extensible).
 */

export type WantAction = '0' | '1001' | '1002';
/** 1 employee, 2 visitor, 3 blacklist, 4 stranger, 5 VIP. */
export type PersonType = 1 | 2 | 3 | 4 | 5;
export type FaceAge = 'child' | 'juvenile' | 'youth' | 'middle-aged' | 'aged';
export type PictureKind = 'reg_pic' | 'spot_pic' | 'ir_pic' | 'recognize_face';

export interface FaceInfo {
  age?: FaceAge;
  gender?: 'male' | 'female';
  glasses?: 'yes' | 'no';
  feature?: number[];
  /** [x1, y1, x2, y2] */
  box?: [number, number, number, number];
  [field: string]: unknown;
}

/** ext_data without pictures, as carried in the history-events message. */
export interface NormalisedExtData {
  device_ip: string;
  ep_id: string;
  dev_sno: string;
  person_type: PersonType;
  /** "0" gate, "1" snapshot camera, "3" IPC, "4" access control; other digit strings may appear. */
  device_type: string;
  fiqa_result?: boolean;
  info?: FaceInfo;
  [field: string]: unknown;
}

/** A HistoryEvent after normalisation, pictures removed (they travel as their own messages). */
export interface NormalisedHistoryEvent {
  identity_id: string;
  identity_name: string;
  group_name: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  score: number;
  want_action: WantAction;
  ext_data: NormalisedExtData;
  [field: string]: unknown;
}

export interface ExtData extends NormalisedExtData {
  spot_pic?: string;
  ir_pic?: string;
  recognize_face?: string;
}

/** A HistoryEvent in normalised form with its base64 pictures, exactly what `historyEventSchema` describes. */
export interface HistoryEvent extends NormalisedHistoryEvent {
  reg_pic?: string;
  ext_data: ExtData;
}

/** Where each picture sits in an event, in the order their messages are published. */
export const PICTURE_FIELDS: readonly { kind: PictureKind; inExtData: boolean }[] = Object.freeze([
  { kind: 'reg_pic', inExtData: false },
  { kind: 'spot_pic', inExtData: true },
  { kind: 'ir_pic', inExtData: true },
  { kind: 'recognize_face', inExtData: true },
]);

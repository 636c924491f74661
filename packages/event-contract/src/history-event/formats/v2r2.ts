import { isPlainObject } from '../../values.js';
import type { NormalisedHistoryEvent } from '../types.js';

type Fields = Record<string, unknown>;

/**
 * V2R2C01 has no ext_data.info: the face's attributes come in its quality blocks, the box's own
 * (box_fiqa_info: age in years, sex 0 male / 1 female) and the capture camera's (grab_fiqa_info:
 * the same, plus the face's rect in the scene). They become info's age bracket, gender and box, as
 * the later formats send them, where info does not already hold them; the box's own reading wins
 * over the camera's. A value that cannot be read is left out (the attributes are optional, and the
 * blocks stay in ext_data as sent). Runs after the event id is derived: the id of a V2R2C01 event
 * stays what it was before these attributes were read, so a box re-sending an event across an
 * upgrade does not make a second row.
 */
export function addV2R2FaceAttributes(event: NormalisedHistoryEvent): void {
  const ext = event.ext_data as Fields;
  const blocks = [ext['box_fiqa_info'], ext['grab_fiqa_info']].filter(isPlainObject);
  const grab = isPlainObject(ext['grab_fiqa_info']) ? ext['grab_fiqa_info'] : undefined;
  const derived: Fields = {};
  const age = firstOf(blocks.map((block) => ageBracket(block['age'])));
  const gender = firstOf(blocks.map((block) => genderOf(block['sex'])));
  const box = grab ? boxOf(grab['rect']) : undefined;
  if (age !== undefined) derived['age'] = age;
  if (gender !== undefined) derived['gender'] = gender;
  if (box !== undefined) derived['box'] = box;
  if (Object.keys(derived).length === 0) return;
  const info: Fields = { ...(event.ext_data.info ?? {}) };
  for (const [field, value] of Object.entries(derived)) if (info[field] === undefined) info[field] = value;
  event.ext_data.info = info as NonNullable<NormalisedHistoryEvent['ext_data']['info']>;
}

/** The brackets of V5R3C01's info.age: 0 < age < 6 child, < 18 juvenile, < 40 youth, < 65 middle-aged, else aged. */
function ageBracket(value: unknown): string | undefined {
  const years = numberOf(value);
  if (years === undefined || years <= 0 || years > 150) return undefined;
  if (years < 6) return 'child';
  if (years < 18) return 'juvenile';
  if (years < 40) return 'youth';
  if (years < 65) return 'middle-aged';
  return 'aged';
}

function genderOf(value: unknown): string | undefined {
  const sex = numberOf(value);
  if (sex === 0) return 'male';
  if (sex === 1) return 'female';
  return undefined;
}

/** {left, top, right, bottom} as the [x1, y1, x2, y2] of info.box. */
function boxOf(rect: unknown): number[] | undefined {
  if (!isPlainObject(rect)) return undefined;
  const box = [rect['left'], rect['top'], rect['right'], rect['bottom']].map(numberOf);
  return box.every((value): value is number => value !== undefined) ? box : undefined;
}

/** A finite number, sent as one or as its decimal text. */
function numberOf(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

function firstOf<T>(values: (T | undefined)[]): T | undefined {
  return values.find((value) => value !== undefined);
}

import { decodeHistoryEventMessageText, parseValidHistoryEventMessage, type HistoryEventMessage } from './message.js';
import { MAX_FEATURE_LENGTH } from './schema.js';

/** A history-events message with its face feature vector kept as the JSON text it came in. */
export interface HistoryEventMessageWithFeatureJson {
  /** The message, without `event.ext_data.info.feature`. */
  message: HistoryEventMessage;
  /** The feature vector as a JSON array of numbers, `[]` when the event has none. */
  featureJson: string;
}

/**
 * For a consumer that stores the feature vector as it is (the analytics writer): accepts and
 * refuses exactly what decodeHistoryEventMessage does, with its errors, but leaves the feature out
 * of the parse. The 512-number vector is most of a message, and parsing it into doubles (to be
 * written back as the same text) most of the cost of decoding one; it is checked by a regular
 * expression instead: an array of at most MAX_FEATURE_LENGTH JSON numbers, each finite (at most 21
 * integer digits and a 2-digit exponent, as JSON.stringify writes any float32). The rest of the
 * message is parsed and checked against the schema as always.
 *
 * The vector is set aside only when its place is beyond doubt, else the message is decoded in full:
 * the text holds `"feature"` once, followed by `:[`, and no `\u` escape (so no other key can parse
 * to "feature"), and after the parse `event.ext_data.info.feature` is the empty array put in the
 * vector's place (so that one key was ext_data.info's feature, not an unknown field's). Any refusal
 * is decodeHistoryEventMessage's own, on the whole text.
 */
export function decodeHistoryEventMessageKeepingFeatureJson(value: Buffer): HistoryEventMessageWithFeatureJson {
  const text = value.toString('utf8');
  const aside = featureSetAside(text);
  if (aside !== undefined) {
    const message = parseValidHistoryEventMessage(aside.rest);
    const info = message?.event.ext_data.info;
    if (message !== undefined && info !== undefined && Array.isArray(info.feature) && info.feature.length === 0) {
      delete info.feature;
      return { message, featureJson: aside.featureJson };
    }
  }
  const message = decodeHistoryEventMessageText(text);
  const info = message.event.ext_data.info;
  const feature = info?.feature ?? [];
  delete info?.feature;
  return { message, featureJson: JSON.stringify(feature) };
}

const FEATURE_KEY = '"feature"';
const NUMBER = String.raw`-?(?:0|[1-9]\d{0,20})(?:\.\d+)?(?:[eE][+-]?\d{1,2})?`;
const FEATURE_NUMBERS = new RegExp(String.raw`^\[(?:${NUMBER}(?:,${NUMBER}){0,${MAX_FEATURE_LENGTH - 1}})?\]$`);

/** The text with the one feature array replaced by `[]`, and that array's text; undefined when unsure. */
function featureSetAside(text: string): { rest: string; featureJson: string } | undefined {
  const at = text.indexOf(FEATURE_KEY);
  if (at < 0 || text.includes(FEATURE_KEY, at + 1) || text.includes('\\u')) return undefined;
  const start = at + FEATURE_KEY.length + 1;
  if (text[start - 1] !== ':' || text[start] !== '[') return undefined;
  const end = text.indexOf(']', start) + 1; // an array of numbers holds no other bracket
  const featureJson = text.slice(start, end);
  if (end === 0 || !FEATURE_NUMBERS.test(featureJson)) return undefined;
  return { rest: `${text.slice(0, start)}[]${text.slice(end)}`, featureJson };
}

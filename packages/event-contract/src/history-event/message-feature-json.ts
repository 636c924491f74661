import { decodeHistoryEventMessageText, parseValidHistoryEventMessage, type HistoryEventMessage } from './message.js';
import { featureSetAside } from './feature-json.js';

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
 * of the parse (see featureSetAside: its text is checked by a regular expression instead). The rest
 * of the message is parsed and checked against the schema as always.
 *
 * The vector is set aside only when its place is beyond doubt, else the message is decoded in full:
 * featureSetAside found it, and after the parse `event.ext_data.info.feature` is the empty array put
 * in the vector's place (so that one key was ext_data.info's feature, not an unknown field's). Any
 * refusal is decodeHistoryEventMessage's own, on the whole text.
 */
export function decodeHistoryEventMessageKeepingFeatureJson(value: Buffer): HistoryEventMessageWithFeatureJson {
  const aside = featureSetAside(value, 'published');
  if (aside !== undefined) {
    const message = parseValidHistoryEventMessage(aside.rest);
    const info = message?.event.ext_data.info;
    if (message !== undefined && info !== undefined && Array.isArray(info.feature) && info.feature.length === 0) {
      delete info.feature;
      return { message, featureJson: aside.featureJson };
    }
  }
  const message = decodeHistoryEventMessageText(value.toString('utf8'));
  const info = message.event.ext_data.info;
  const feature = info?.feature ?? [];
  delete info?.feature;
  return { message, featureJson: JSON.stringify(feature) };
}

/** The topics an upload adapter publishes to. */
export interface Topics {
  historyEvents: string;
  eventImages: string;
  quarantine: string;
}

export const DEFAULT_TOPICS: Readonly<Topics & { deadLetter: string; faceRegistrations: string }> = Object.freeze({
  historyEvents: 'history-events',
  eventImages: 'event-images',
  quarantine: 'history-events-quarantine',
  deadLetter: 'pipeline-dead-letter',
  faceRegistrations: 'face-registrations',
});

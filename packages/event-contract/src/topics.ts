/** The topics an upload adapter publishes to. */
export interface Topics {
  historyEvents: string;
  eventImages: string;
  quarantine: string;
}

export const DEFAULT_TOPICS: Readonly<Topics & { deadLetter: string; faceRegistrations: string; faceRegistrationsRetry: string; deviceStatus: string }> = Object.freeze({
  historyEvents: 'history-events',
  eventImages: 'event-images',
  quarantine: 'history-events-quarantine',
  deadLetter: 'pipeline-dead-letter',
  faceRegistrations: 'face-registrations',
  /** device-sync parks deliveries to a box that is down here, with a not-before header. */
  faceRegistrationsRetry: 'face-registrations-retry',
  /** The boxes' periodic status reports (/DeviceStatus), key = dev_sno. */
  deviceStatus: 'device-status',
});

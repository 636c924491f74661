import { encodeFaceRegistration, type FaceRegistrationCommand } from '@sophon/event-contract';
import type { ProducerRecord } from '@sophon/kafka';

/** The face-registrations record of a command (the contract's message, on the configured topic). */
export function faceRegistrationRecord(topic: string, command: FaceRegistrationCommand): ProducerRecord {
  return { topic, ...encodeFaceRegistration(command) };
}

import { Counter, type Registry } from '@sophon/ops-http';

export type RegistrationMetrics = ReturnType<typeof createRegistrationMetrics>;

export function createRegistrationMetrics(registry: Registry) {
  const registers = [registry];
  return {
    decisions: new Counter({
      name: 'registration_decisions_total',
      help: 'Registration requests decided and recorded, by action (new_stranger, face_update) and outcome (registered, updated, refused)',
      labelNames: ['action', 'outcome'],
      registers,
    }),
    alreadyDecided: new Counter({
      name: 'registration_already_decided_total',
      help: 'Registration requests skipped because their decision is already recorded (replays, device re-uploads)',
      labelNames: ['action'],
      registers,
    }),
  };
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ConsumedMessage } from '@sophon/kafka';
import { SAMPLE_DEV_SNO } from '@sophon/event-contract/testing';
import { loadRegistrationWorkerConfig } from '../src/config.js';
import { BY_FEATURE_NOTE, decideRegistration, REFUSAL_REASONS, registrationRow, type RegistrationDecision } from '../src/decide.js';
import { faceRegistrationRecord } from '../src/face-registration.js';
import { asksForRegistration } from '../src/registration-worker.js';
import { strangerIdentityId } from '../src/stranger-identity.js';
import { faceUpdateEvent, FEATURE, historyEventMessage, POLICY, STRANGER_GROUP, strangerEvent } from './events.js';

function decide(overrides: Parameters<typeof historyEventMessage>[0]): RegistrationDecision {
  const decision = decideRegistration(historyEventMessage(overrides), POLICY);
  assert.ok(decision, 'expected a decision');
  return decision;
}

const facePicKeyOf = (overrides: Parameters<typeof historyEventMessage>[0]) =>
  historyEventMessage(overrides).pictures.find((picture) => picture.kind === 'recognize_face')?.object_key;

describe('the stranger identity', () => {
  it('is "stranger-" and 24 hex of SHA-256 over ["stranger-identity/v1", dev_sno, identity_id]', () => {
    const expected = createHash('sha256').update('["stranger-identity/v1","box-1","1602612036.3828533"]').digest('hex').slice(0, 24);
    assert.equal(strangerIdentityId('box-1', '1602612036.3828533'), `stranger-${expected}`);
  });

  it('is the same for the same stranger of the same box, and differs across boxes', () => {
    const first = decide(strangerEvent({}, { timestamp: 1714636800000 }));
    const again = decide(strangerEvent({}, { timestamp: 1714636860000 }));
    assert.notEqual(first.audit.event_id, again.audit.event_id, 'two events');
    assert.equal(first.audit.identity_id, again.audit.identity_id, 'one identity');
    assert.equal(first.audit.identity_id, strangerIdentityId(SAMPLE_DEV_SNO, '1602612036.3828533'));
    assert.notEqual(strangerIdentityId('box-1', '7'), strangerIdentityId('box-2', '7'));
    assert.notEqual(strangerIdentityId('box-1', '7'), strangerIdentityId('box-1', '8'));
  });
});

describe('decideRegistration', () => {
  it('asks nothing of an event with want_action 0', () => {
    assert.equal(decideRegistration(historyEventMessage({ want_action: '0' }), POLICY), undefined);
  });

  it('registers a new stranger (1001) by its face crop', () => {
    const overrides = strangerEvent();
    const message = historyEventMessage(overrides);
    const decision = decide(overrides);
    const identityId = strangerIdentityId(SAMPLE_DEV_SNO, '1602612036.3828533');
    const facePicKey = facePicKeyOf(overrides);
    assert.match(facePicKey ?? '', /\/recognize_face\.jpg$/);
    assert.equal(decision.registrationId, `${message.event_id}:new_stranger`);
    assert.deepEqual(decision.audit, {
      event_id: message.event_id,
      action: 'new_stranger',
      identity_id: identityId,
      outcome: 'registered',
      reason: '',
      dev_sno: SAMPLE_DEV_SNO,
      group_name: STRANGER_GROUP,
      face_pic_key: facePicKey,
      event_time: Math.floor(message.event.timestamp / 1000),
      event_time_ms: message.event.timestamp,
    });
    assert.deepEqual(decision.command, {
      schema_version: 1,
      command: 'create-person',
      registration_id: `${message.event_id}:new_stranger`,
      identity_id: identityId,
      group_name: STRANGER_GROUP,
      import_mode: false,
      reg_photo_key: facePicKey,
      ignore_exist: true,
      support_single_face: false,
      info: { name: 'stranger', type: 4 },
      source: { event_id: message.event_id, dev_sno: SAMPLE_DEV_SNO, ep_id: message.event.ext_data.ep_id, event_time_ms: message.event.timestamp },
    });
  });

  it('registers a stranger whose box did not assess quality (no fiqa_result)', () => {
    const decision = decide(strangerEvent({ fiqa_result: undefined }));
    assert.equal(decision.audit.outcome, 'registered');
    assert.equal(decision.command?.command, 'create-person');
  });

  it('refuses a stranger whose face failed the quality check, and sends nothing to the boxes', () => {
    const overrides = strangerEvent({ fiqa_result: false });
    const decision = decide(overrides);
    assert.equal(decision.command, undefined);
    assert.equal(decision.audit.outcome, 'refused');
    assert.equal(decision.audit.reason, REFUSAL_REASONS.poorQuality);
    assert.equal(decision.audit.identity_id, strangerIdentityId(SAMPLE_DEV_SNO, '1602612036.3828533'), 'the audit still says who');
    assert.equal(decision.audit.face_pic_key, facePicKeyOf(overrides));
  });

  it('refuses a stranger without a face crop or feature, even with a scene picture', () => {
    const overrides = strangerEvent({ recognize_face: undefined });
    assert.ok(historyEventMessage(overrides).pictures.some((picture) => picture.kind === 'spot_pic'));
    const decision = decide(overrides);
    assert.equal(decision.command, undefined);
    assert.equal(decision.audit.reason, REFUSAL_REASONS.noFace);
    assert.equal(decision.audit.face_pic_key, '');
  });

  it('registers by feature vector when there is no face crop', () => {
    const decision = decide(strangerEvent({ recognize_face: undefined, info: { feature: FEATURE } }));
    assert.equal(decision.audit.outcome, 'registered');
    assert.equal(decision.audit.reason, BY_FEATURE_NOTE);
    assert.equal(decision.command?.import_mode, true);
    assert.equal(decision.command?.reg_photo_key, null);
    assert.deepEqual(decision.command?.feature, FEATURE);
  });

  it('prefers the face crop to the feature, and passes the feature on', () => {
    const overrides = strangerEvent({ info: { feature: FEATURE } });
    const decision = decide(overrides);
    assert.equal(decision.command?.import_mode, false);
    assert.equal(decision.command?.reg_photo_key, facePicKeyOf(overrides));
    assert.deepEqual(decision.command?.feature, FEATURE);
    assert.equal(decision.audit.reason, '');
  });

  it('refuses a stranger the box gave no identity_id (all such strangers would become one identity)', () => {
    const decision = decide(strangerEvent({}, { identity_id: ' ' }));
    assert.equal(decision.command, undefined);
    assert.equal(decision.audit.reason, REFUSAL_REASONS.noIdentity);
    assert.equal(decision.audit.identity_id, '');
  });

  it('registers a stranger as a stranger in the stranger group, whatever group, type and name the event claims', () => {
    const claims = [
      strangerEvent({ person_type: 5 }, { group_name: 'staff', identity_name: 'CEO' }),
      strangerEvent({ person_type: 1 }, { group_name: 'default_group,vip' }),
      strangerEvent({ person_type: 3 }, { group_name: '' }),
    ];
    for (const overrides of claims) {
      const decision = decide(overrides);
      assert.equal(decision.audit.outcome, 'registered');
      assert.equal(decision.audit.group_name, STRANGER_GROUP, 'the audit says where the face went');
      assert.equal(decision.command?.group_name, STRANGER_GROUP);
      assert.deepEqual(decision.command?.info, { name: 'stranger', type: 4 });
      assert.match(decision.command?.identity_id ?? '', /^stranger-[0-9a-f]{24}$/, 'never an existing person');
    }
  });

  it('reads the stranger group from REGISTRATION_STRANGER_GROUP: one group name, "strangers" by default', () => {
    assert.equal(loadRegistrationWorkerConfig({}).REGISTRATION_STRANGER_GROUP, 'strangers');
    assert.equal(loadRegistrationWorkerConfig({ REGISTRATION_STRANGER_GROUP: 'lobby strangers' }).REGISTRATION_STRANGER_GROUP, 'lobby strangers');
    for (const bad of [' strangers', 'strangers,staff', 'a\nb', 'x'.repeat(65)]) {
      assert.throws(() => loadRegistrationWorkerConfig({ REGISTRATION_STRANGER_GROUP: bad }), /REGISTRATION_STRANGER_GROUP/, JSON.stringify(bad));
    }
  });

  it('refuses a face update without a group, or naming several (the box would bind the person to each)', () => {
    assert.equal(decide(faceUpdateEvent({}, { group_name: '' })).audit.reason, REFUSAL_REASONS.noGroup);
    const several = decide(faceUpdateEvent({}, { group_name: 'staff,vip' }));
    assert.equal(several.command, undefined);
    assert.equal(several.audit.reason, REFUSAL_REASONS.manyGroups);
  });

  it('updates a person’s face (1002) under the identity the event names', () => {
    const overrides = faceUpdateEvent({ info: { feature: FEATURE } });
    const message = historyEventMessage(overrides);
    const decision = decide(overrides);
    assert.equal(decision.registrationId, `${message.event_id}:face_update`);
    assert.equal(decision.audit.action, 'face_update');
    assert.equal(decision.audit.outcome, 'updated');
    assert.equal(decision.audit.identity_id, 'emp-0042');
    assert.equal(decision.audit.group_name, 'staff');
    assert.deepEqual(decision.command, {
      schema_version: 1,
      command: 'update-person-face',
      registration_id: `${message.event_id}:face_update`,
      identity_id: 'emp-0042',
      group_name: 'staff',
      import_mode: false,
      reg_photo_key: facePicKeyOf(overrides),
      feature: FEATURE,
      ignore_exist: true,
      support_single_face: true,
      info: { name: 'Tom', type: 1 },
      source: { event_id: message.event_id, dev_sno: SAMPLE_DEV_SNO, ep_id: message.event.ext_data.ep_id, event_time_ms: message.event.timestamp },
    });
  });

  it('refuses a face update whose picture failed the quality check', () => {
    const decision = decide(faceUpdateEvent({ fiqa_result: false }));
    assert.equal(decision.command, undefined);
    assert.equal(decision.audit.outcome, 'refused');
    assert.equal(decision.audit.reason, REFUSAL_REASONS.poorQuality);
    assert.equal(decision.audit.identity_id, 'emp-0042');
  });

  it('refuses a face update without a face crop or feature', () => {
    const decision = decide(faceUpdateEvent({ recognize_face: undefined }));
    assert.equal(decision.command, undefined);
    assert.equal(decision.audit.reason, REFUSAL_REASONS.noFace);
  });

  it('refuses a face update for a face the box did not recognise (a stranger), so no box can re-face a person it did not see', () => {
    const decision = decide(faceUpdateEvent({ person_type: 4 }));
    assert.equal(decision.command, undefined);
    assert.equal(decision.audit.outcome, 'refused');
    assert.equal(decision.audit.reason, REFUSAL_REASONS.notRecognised);
    assert.equal(decision.audit.identity_id, 'emp-0042', 'the audit says whose face was asked for');
  });

  it('refuses a face update whose box did not rate the face good (no fiqa_result)', () => {
    const decision = decide(faceUpdateEvent({ fiqa_result: undefined }));
    assert.equal(decision.command, undefined);
    assert.equal(decision.audit.reason, REFUSAL_REASONS.qualityUnknown);
  });

  it('refuses a face update that names no person', () => {
    const decision = decide(faceUpdateEvent({}, { identity_id: '' }));
    assert.equal(decision.command, undefined);
    assert.equal(decision.audit.reason, REFUSAL_REASONS.noIdentity);
  });
});

describe('records', () => {
  it('the audit row adds when it was decided', () => {
    const decision = decide(strangerEvent());
    const row = registrationRow(decision, 1714636801999);
    assert.deepEqual(row, { ...decision.audit, decided_at: 1714636801, decided_at_ms: 1714636801999 });
  });

  it('the command is keyed by identity and carries its event and registration ids', () => {
    const { command } = decide(faceUpdateEvent());
    assert.ok(command);
    const record = faceRegistrationRecord('face-registrations', command);
    assert.equal(record.topic, 'face-registrations');
    assert.equal(record.key, 'emp-0042');
    assert.deepEqual(record.headers, {
      'event-id': command.source.event_id,
      'registration-id': command.registration_id,
      'schema-version': '1',
      'content-type': 'application/json',
    });
    assert.deepEqual(JSON.parse(record.value.toString()), command);
  });

  it('the pre-filter lets through want-action 1001 and 1002 only', () => {
    const withWantAction = (value: string | undefined): ConsumedMessage => ({
      topic: 'history-events',
      partition: 0,
      offset: '0',
      key: null,
      value: Buffer.alloc(0),
      headers: value === undefined ? {} : { 'want-action': value },
      timestamp: 0,
    });
    assert.deepEqual(['1001', '1002', '0', '', 'toString', undefined].map((value) => asksForRegistration(withWantAction(value))), [true, true, false, false, false, false]);
  });
});

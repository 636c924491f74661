-- The device-sync service's attempts to push face registrations down to the boxes: one row per
-- attempt per (registration, target box). An append-only log (a replayed command that was already
-- delivered is skipped, not attempted again, so copies are rare and harmless: the view takes the
-- latest attempt). ORDER BY starts with (registration_id, dev_sno): the service's "already
-- delivered?" lookup is an index lookup. Partitioned by the event's UTC month, as registrations.
CREATE TABLE IF NOT EXISTS {database}.device_deliveries
(
    registration_id String,
    dev_sno String,
    command Enum8('create_person' = 1, 'update_person_face' = 2),
    identity_id String,
    outcome Enum8('pushed' = 1, 'already_present' = 2, 'refused' = 3, 'unreachable' = 4, 'no_address' = 5, 'picture_missing' = 6, 'gave_up' = 7),
    attempt UInt32,
    box_address String,
    http_status UInt16,
    error String,
    source_dev_sno String,
    event_id String,
    event_time DateTime,
    event_time_ms UInt64,
    attempted_at DateTime,
    attempted_at_ms UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time, 'UTC')
ORDER BY (registration_id, dev_sno, attempted_at_ms);

-- What does each box hold? One row per (registration, box): the latest outcome, its error, how
-- many attempts it took. pending = the latest attempt is one that is retried later (unreachable,
-- no_address, picture_missing). argMax on the attempt time is insensitive to copies: no FINAL.
CREATE VIEW IF NOT EXISTS {database}.v_device_deliveries AS
SELECT
    registration_id,
    dev_sno,
    any(identity_id) AS person_identity_id,
    any(command) AS command_kind,
    any(source_dev_sno) AS seen_by_dev_sno,
    any(event_id) AS source_event_id,
    argMax(outcome, attempted_at_ms) AS latest_outcome,
    argMax(error, attempted_at_ms) AS latest_error,
    argMax(http_status, attempted_at_ms) AS latest_http_status,
    argMax(box_address, attempted_at_ms) AS latest_box_address,
    latest_outcome IN ('unreachable', 'no_address', 'picture_missing') AS pending,
    count() AS attempts,
    min(attempted_at) AS first_attempt_at,
    max(attempted_at) AS last_attempt_at
FROM {database}.device_deliveries
GROUP BY registration_id, dev_sno;

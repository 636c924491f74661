-- Audit trail of the registration worker: one row per (event_id, action) decision.
--
-- Deduplicated like history_events: the worker may decide the same event again after a
-- restart or replay, so the key holds only what every retry shares. The partition is the
-- event's UTC month (event_time), not decided_at: a retry decides later, possibly in the next
-- month, and rows in different partitions are never merged together. The latest decision wins.
CREATE TABLE IF NOT EXISTS {database}.registrations
(
    event_id String,
    action Enum8('new_stranger' = 1, 'face_update' = 2),
    identity_id String,
    outcome Enum8('registered' = 1, 'updated' = 2, 'refused' = 3),
    reason String,
    dev_sno String,
    group_name LowCardinality(String),
    face_pic_key String,
    event_time DateTime,
    event_time_ms UInt64,
    decided_at DateTime,
    decided_at_ms UInt64
)
ENGINE = ReplacingMergeTree(decided_at_ms)
PARTITION BY toYYYYMM(event_time, 'UTC')
ORDER BY (event_id, action);

-- One row per HistoryEvent (the history-events topic), written by the analytics consumer.
--
-- Runs unchanged on ClickHouse 18.16 and on current releases: no DateTime64, TTL, codecs,
-- skipping indexes, Map or Bool. Times are instants: DateTime holds epoch seconds (the writer
-- sends numbers, so the server's time zone never changes what is stored) and the *_ms columns
-- keep the milliseconds DateTime cannot.
--
-- Dedupe: devices upload at least once and Kafka consumers replay, so one event can be
-- inserted many times. ReplacingMergeTree keeps one row per sorting key within a partition, so
-- the partition expression and the sorting key hold only values that every copy of an event
-- shares: event_id is derived from (dev_sno, ep_id, timestamp, identity_id, box, face crop),
-- hence dev_sno and event_time are functions of event_id. received_at, kafka_* and
-- inserted_at_ms differ between copies and must never enter the key. The copy with the
-- highest inserted_at_ms wins (the latest write: a replay after a fix overwrites).
-- Partitions are UTC months, whatever the server's zone, so every copy lands in the same one.
CREATE TABLE IF NOT EXISTS {database}.history_events
(
    event_id String,
    event_time DateTime,
    event_time_ms UInt64,
    dev_sno String,
    ep_id LowCardinality(String),
    device_ip LowCardinality(String),
    device_type LowCardinality(String),
    identity_id String,
    identity_name String,
    group_name LowCardinality(String),
    person_type Enum8('employee' = 1, 'visitor' = 2, 'blacklist' = 3, 'stranger' = 4, 'vip' = 5),
    score Float64,
    want_action Enum8('none' = 0, 'new_stranger' = 1, 'face_update' = 2),
    fiqa_result Nullable(UInt8),
    age LowCardinality(String),
    gender LowCardinality(String),
    glasses LowCardinality(String),
    face_box Array(Float32),
    feature Array(Float32),
    reg_pic_key String,
    spot_pic_key String,
    ir_pic_key String,
    face_pic_key String,
    received_at DateTime,
    received_at_ms UInt64,
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    ext_json String,
    inserted_at_ms UInt64
)
ENGINE = ReplacingMergeTree(inserted_at_ms)
PARTITION BY toYYYYMM(event_time, 'UTC')
ORDER BY (dev_sno, event_time, event_id);

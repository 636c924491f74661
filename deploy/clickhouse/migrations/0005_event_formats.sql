-- Issue 9, event formats: which firmware format each event came in, and its score on one 0–1
-- scale so analysts can compare boxes across a mixed fleet (the score as sent stays in `score`).
--
-- source_format: V5R3C01, V2R2C01, V5R6C01 or V6R2C01 (the history-events message's
-- source_format); '' for rows written before this migration.
-- score_normalised: the message's score_normalised, i.e. score when it is at most 1, else
-- score / 100, clamped to [0, 1]. Rows written before this migration compute it from score by
-- the same rule (the DEFAULT); the writer sends it, since 18.16 fills an omitted JSONEachRow
-- field with 0, not the DEFAULT.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS, so both columns are added by ONE statement: it either
-- applies or not. If it applied but the migration was not recorded (the job died in between),
-- a rerun fails with "column ... already exists": check both columns are there and record
-- version 5 in schema_migrations by hand. LowCardinality works on 18.16 (its profile allows it).
ALTER TABLE {database}.history_events
    ADD COLUMN source_format LowCardinality(String) DEFAULT '' AFTER ext_json,
    ADD COLUMN score_normalised Float64 DEFAULT least(1, greatest(0, if(score > 1, score / 100, score))) AFTER score;

-- v_events lists its columns: recreated with the two new ones. 18.16 has neither CREATE OR
-- REPLACE VIEW nor DROP VIEW; DROP TABLE drops a view on 18.16 and on current releases.
DROP TABLE IF EXISTS {database}.v_events;

CREATE VIEW IF NOT EXISTS {database}.v_events AS
SELECT
    event_id, event_time, event_time_ms, dev_sno, ep_id, device_ip, device_type,
    identity_id, identity_name, group_name, person_type, score, score_normalised, want_action, fiqa_result,
    age, gender, glasses, face_box, reg_pic_key, spot_pic_key, ir_pic_key, face_pic_key,
    received_at, received_at_ms, kafka_topic, kafka_partition, kafka_offset, ext_json, source_format
FROM {database}.history_events FINAL;

-- v_watchlist_hits with the score on one 0–1 scale (score_normalised, migration 0005) and the
-- firmware format: a blacklist hit from a 0–100 box (V6R2C01: 91) and one from a 0–1 box (0.91)
-- are the same match, and analysts rank them together. The score as sent stays in `score`.
-- 18.16 has neither CREATE OR REPLACE VIEW nor DROP VIEW; DROP TABLE drops a view on both.
DROP TABLE IF EXISTS {database}.v_watchlist_hits;

CREATE VIEW IF NOT EXISTS {database}.v_watchlist_hits AS
SELECT
    event_time, event_id, person_type, identity_id, identity_name, group_name, score, score_normalised,
    source_format, dev_sno, ep_id, device_ip, spot_pic_key, face_pic_key
FROM {database}.history_events FINAL
WHERE person_type IN ('blacklist', 'vip');

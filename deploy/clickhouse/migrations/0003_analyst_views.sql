-- Analyst views: each answers one question, counts every event once (FINAL collapses the
-- copies that have not been merged away yet, or the aggregate is insensitive to copies), and
-- none exposes `feature` (the biometric face vector).
--
-- Hours and days are the server's time zone (timezone()): set <timezone> on the production
-- server to the sites' zone. The tables store instants, so this only decides how they are
-- bucketed and shown. Aliases never reuse a column name: 18.16 rejects e.g. max(x) AS x.

-- Every event once, every column but the feature vector: the base for ad-hoc questions.
CREATE VIEW IF NOT EXISTS {database}.v_events AS
SELECT
    event_id, event_time, event_time_ms, dev_sno, ep_id, device_ip, device_type,
    identity_id, identity_name, group_name, person_type, score, want_action, fiqa_result,
    age, gender, glasses, face_box, reg_pic_key, spot_pic_key, ir_pic_key, face_pic_key,
    received_at, received_at_ms, kafka_topic, kafka_partition, kafka_offset, ext_json
FROM {database}.history_events FINAL;

-- How busy is each box, hour by hour?
CREATE VIEW IF NOT EXISTS {database}.v_events_per_device_hour AS
SELECT
    dev_sno,
    toStartOfHour(event_time, timezone()) AS hour,
    count() AS events,
    uniqExact(identity_id) AS distinct_identities,
    countIf(person_type = 'stranger') AS stranger_events
FROM {database}.history_events FINAL
GROUP BY dev_sno, hour;

-- When did each known person arrive and leave each day (first and last recognition)?
CREATE VIEW IF NOT EXISTS {database}.v_attendance_daily AS
SELECT
    toDate(event_time, timezone()) AS day,
    identity_id,
    argMax(identity_name, event_time_ms) AS person_name,
    argMax(group_name, event_time_ms) AS person_group,
    argMax(person_type, event_time_ms) AS latest_person_type,
    min(event_time) AS first_seen,
    max(event_time) AS last_seen,
    argMin(dev_sno, event_time_ms) AS first_seen_dev_sno,
    argMax(dev_sno, event_time_ms) AS last_seen_dev_sno,
    count() AS events
FROM {database}.history_events FINAL
WHERE person_type != 'stranger'
GROUP BY day, identity_id;

-- How many strangers did each box see each day, and how many were too poor to register?
CREATE VIEW IF NOT EXISTS {database}.v_strangers_per_device_day AS
SELECT
    toDate(event_time, timezone()) AS day,
    dev_sno,
    count() AS stranger_events,
    uniqExact(identity_id) AS distinct_strangers,
    countIf(ifNull(fiqa_result, 1) = 0) AS poor_quality_events,
    countIf(want_action = 'new_stranger') AS registration_requests
FROM {database}.history_events FINAL
WHERE person_type = 'stranger'
GROUP BY day, dev_sno;

-- Every blacklist and VIP recognition, with where it happened and the pictures to look at.
CREATE VIEW IF NOT EXISTS {database}.v_watchlist_hits AS
SELECT
    event_time, event_id, person_type, identity_id, identity_name, group_name, score,
    dev_sno, ep_id, device_ip, spot_pic_key, face_pic_key
FROM {database}.history_events FINAL
WHERE person_type IN ('blacklist', 'vip');

-- Who passes by each capture point (ep_id) each day, by age group and gender ('unknown' when
-- the box's attribute detection is off).
CREATE VIEW IF NOT EXISTS {database}.v_demographics_daily AS
SELECT
    toDate(event_time, timezone()) AS day,
    ep_id,
    dev_sno,
    if(age = '', 'unknown', age) AS age_group,
    if(gender = '', 'unknown', gender) AS gender_group,
    count() AS events,
    uniqExact(identity_id) AS distinct_identities
FROM {database}.history_events FINAL
GROUP BY day, ep_id, dev_sno, age_group, gender_group;

-- How are match scores distributed per box and day? Firmware reports 0-1 or 0-100; scores up
-- to 1 are read as 0-1. Buckets are 5 points wide on the 0-100 scale, 95 includes 100.
CREATE VIEW IF NOT EXISTS {database}.v_score_histogram AS
SELECT
    toDate(event_time, timezone()) AS day,
    dev_sno,
    if(score <= 1, '0-1', '0-100') AS score_scale,
    toUInt8(least(floor(least(greatest(if(score <= 1, score * 100, score), 0), 100) / 5) * 5, 95)) AS bucket_from,
    count() AS events
FROM {database}.history_events FINAL
GROUP BY day, dev_sno, score_scale, bucket_from;

-- When did each box last send something? Silent boxes:
-- SELECT * FROM v_device_last_seen WHERE hours_since_last_upload >= 6.
-- max() and argMax() do not care about copies, so no FINAL: this stays cheap.
CREATE VIEW IF NOT EXISTS {database}.v_device_last_seen AS
SELECT
    dev_sno,
    argMax(ep_id, event_time_ms) AS last_ep_id,
    argMax(device_ip, event_time_ms) AS last_device_ip,
    argMax(device_type, event_time_ms) AS last_device_type,
    max(event_time) AS last_event_time,
    max(received_at) AS last_received_at,
    round(dateDiff('second', max(event_time), now()) / 3600, 1) AS hours_since_last_event,
    round(dateDiff('second', max(received_at), now()) / 3600, 1) AS hours_since_last_upload
FROM {database}.history_events
GROUP BY dev_sno;

-- How long after an event does it reach us, per box and day? Negative lags mean the box's
-- clock runs ahead. Quantiles are estimates on large days (exact below 8192 events).
CREATE VIEW IF NOT EXISTS {database}.v_upload_lag_per_device_day AS
SELECT
    toDate(event_time, timezone()) AS day,
    dev_sno,
    count() AS events,
    round(avg(lag_seconds), 3) AS avg_lag_seconds,
    round(quantile(0.5)(lag_seconds), 3) AS p50_lag_seconds,
    round(quantile(0.95)(lag_seconds), 3) AS p95_lag_seconds,
    max(lag_seconds) AS max_lag_seconds,
    countIf(lag_seconds < 0) AS clock_ahead_events
FROM
(
    SELECT event_time, dev_sno, (toInt64(received_at_ms) - toInt64(event_time_ms)) / 1000 AS lag_seconds
    FROM {database}.history_events FINAL
)
GROUP BY day, dev_sno;

-- What did the registration worker decide, once per (event, action)?
CREATE VIEW IF NOT EXISTS {database}.v_registrations AS
SELECT
    event_id, action, outcome, reason, identity_id, group_name, dev_sno, face_pic_key,
    event_time, decided_at, decided_at_ms
FROM {database}.registrations FINAL;

-- Issue 9, status reports: the boxes' periodic /DeviceStatus reports (topic device-status), written
-- by the analytics writer, as a device registry: each box's last report, silent boxes, offline
-- cameras, firmware across the fleet, and the rows Grafana's device-health alerts read.
--
-- A report has no id or time of its own: report_id is the gateway's hash of the canonical report
-- and its receive minute, so a Kafka replay and a box's retry within the minute share it. Both
-- tables are ReplacingMergeTree on (dev_sno, report_id[, camera_index]): copies collapse, the
-- latest write wins. Copies share their receive minute, hence their UTC month partition.
-- V6R2C01 reports only cameras: the box columns are then '' or NULL.
CREATE TABLE IF NOT EXISTS {database}.device_status
(
    report_id String,
    dev_sno String,
    source_format LowCardinality(String),
    received_at DateTime,
    received_at_ms UInt64,
    box_ip String,
    box_name String,
    box_status LowCardinality(String),
    box_sn String,
    box_mac String,
    sw_version String,
    firmware_version LowCardinality(String),
    sdk_version LowCardinality(String),
    cpu_usage Nullable(Float64),
    memory_size_gb Nullable(Float64),
    memory_usage Nullable(Float64),
    disk_size_gb Nullable(Float64),
    disk_free_gb Nullable(Float64),
    temperature Nullable(Float64),
    cameras_total UInt32,
    cameras_online UInt32,
    cameras_offline UInt32,
    report_json String,
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    inserted_at_ms UInt64
)
ENGINE = ReplacingMergeTree(inserted_at_ms)
PARTITION BY toYYYYMM(received_at, 'UTC')
ORDER BY (dev_sno, report_id);

-- One row per camera per report (V5R3C01 sub_devices, V6R2C01 media_devices), in report order.
CREATE TABLE IF NOT EXISTS {database}.device_cameras
(
    report_id String,
    dev_sno String,
    camera_index UInt16,
    ep_id String,
    camera_name String,
    ip String,
    status Enum8('offline' = 0, 'online' = 1),
    camera_type LowCardinality(String),
    url String,
    location String,
    permission_id String,
    received_at DateTime,
    received_at_ms UInt64,
    inserted_at_ms UInt64
)
ENGINE = ReplacingMergeTree(inserted_at_ms)
PARTITION BY toYYYYMM(received_at, 'UTC')
ORDER BY (dev_sno, report_id, camera_index);

-- The alert thresholds the views below use (views cannot take parameters on 18.16). The latest
-- updated_at of a name wins; change one with e.g.
-- INSERT INTO sophon.device_health_settings VALUES ('silent_minutes', 30, now())
CREATE TABLE IF NOT EXISTS {database}.device_health_settings
(
    name String,
    value Float64,
    updated_at DateTime
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY name;

-- The defaults, at time 0 so that any setting written later wins (a rerun adds equal copies).
INSERT INTO {database}.device_health_settings (name, value, updated_at) VALUES ('silent_minutes', 15, 0), ('disk_free_min_gb', 1, 0), ('temperature_max_c', 80, 0);

-- Each box's last report: its IP (what a later service calls the box's API on), versions,
-- metrics and cameras. LIMIT 1 BY picks the latest row per box whatever the copies.
CREATE VIEW IF NOT EXISTS {database}.v_device_status_latest AS
SELECT
    dev_sno, source_format, box_ip, box_name, box_status, box_sn, box_mac, firmware_version, sdk_version, sw_version,
    cpu_usage, memory_size_gb, memory_usage, disk_size_gb, disk_free_gb, temperature,
    cameras_total, cameras_online, cameras_offline, report_id, received_at AS last_report_at,
    round(dateDiff('second', received_at, now()) / 60, 1) AS minutes_since_report
FROM {database}.device_status
ORDER BY dev_sno, received_at_ms DESC, inserted_at_ms DESC
LIMIT 1 BY dev_sno;

-- The cameras of each box's last report.
CREATE VIEW IF NOT EXISTS {database}.v_device_cameras_latest AS
SELECT dev_sno, camera_index, ep_id, camera_name, ip, status, camera_type, url, location, permission_id, received_at AS reported_at
FROM {database}.device_cameras
WHERE (dev_sno, report_id) IN (SELECT dev_sno, report_id FROM {database}.v_device_status_latest)
ORDER BY dev_sno, camera_index, inserted_at_ms DESC
LIMIT 1 BY dev_sno, camera_index;

-- Cameras offline in their box's last report, and when each was last reported online
-- (1970-01-01 = never since the reports kept began).
CREATE VIEW IF NOT EXISTS {database}.v_cameras_offline AS
SELECT dev_sno, ep_id, camera_name, ip, camera_type, url, reported_at, last_online_at
FROM
(
    SELECT dev_sno, ep_id, camera_name, ip, camera_type, url, reported_at
    FROM {database}.v_device_cameras_latest
    WHERE status = 'offline'
) AS offline
ANY LEFT JOIN
(
    SELECT dev_sno, ep_id, maxIf(received_at, status = 'online') AS last_online_at
    FROM {database}.device_cameras
    GROUP BY dev_sno, ep_id
) AS online USING (dev_sno, ep_id);

-- Every box ever heard from, by event or status report, and whether it has been silent (neither)
-- for longer than the silent_minutes setting. 1970-01-01 = never by that channel. max() is not
-- changed by copies: no FINAL.
CREATE VIEW IF NOT EXISTS {database}.v_device_silence AS
SELECT
    dev_sno,
    max(event_at) AS last_event_received_at,
    max(status_at) AS last_status_at,
    greatest(last_event_received_at, last_status_at) AS last_seen_at,
    round(dateDiff('second', last_seen_at, now()) / 60, 1) AS minutes_silent,
    (SELECT argMax(value, updated_at) FROM {database}.device_health_settings WHERE name = 'silent_minutes') AS threshold_minutes,
    minutes_silent > threshold_minutes AS silent
FROM
(
    SELECT dev_sno, max(received_at) AS event_at, toDateTime(0) AS status_at FROM {database}.history_events GROUP BY dev_sno
    UNION ALL
    SELECT dev_sno, toDateTime(0) AS event_at, max(received_at) AS status_at FROM {database}.device_status GROUP BY dev_sno
) AS heard
GROUP BY dev_sno;

-- Firmware across the fleet, from each box's last report.
CREATE VIEW IF NOT EXISTS {database}.v_firmware_versions AS
SELECT source_format, firmware_version, sdk_version, count() AS boxes, arraySort(groupArray(dev_sno)) AS dev_snos
FROM {database}.v_device_status_latest
GROUP BY source_format, firmware_version, sdk_version;

-- What Grafana alerts on, one row per firing condition: silent_box, camera_offline, low_disk,
-- high_temperature; value and threshold in the alert's unit (minutes, -, GB, °C).
CREATE VIEW IF NOT EXISTS {database}.v_device_health_alerts AS
SELECT 'silent_box' AS alert, dev_sno, '' AS subject, toFloat64(minutes_silent) AS value, toFloat64(threshold_minutes) AS threshold
FROM {database}.v_device_silence WHERE silent
UNION ALL
SELECT 'camera_offline' AS alert, dev_sno, ep_id AS subject, toFloat64(0) AS value, toFloat64(0) AS threshold
FROM {database}.v_cameras_offline
UNION ALL
SELECT 'low_disk' AS alert, dev_sno, '' AS subject, toFloat64(assumeNotNull(disk_free_gb)) AS value,
    toFloat64((SELECT argMax(value, updated_at) FROM {database}.device_health_settings WHERE name = 'disk_free_min_gb')) AS threshold
FROM {database}.v_device_status_latest WHERE isNotNull(disk_free_gb) AND assumeNotNull(disk_free_gb) < threshold
UNION ALL
SELECT 'high_temperature' AS alert, dev_sno, '' AS subject, toFloat64(assumeNotNull(temperature)) AS value,
    toFloat64((SELECT argMax(value, updated_at) FROM {database}.device_health_settings WHERE name = 'temperature_max_c')) AS threshold
FROM {database}.v_device_status_latest WHERE isNotNull(temperature) AND assumeNotNull(temperature) > threshold;

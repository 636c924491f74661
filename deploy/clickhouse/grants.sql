-- The analyst and writer accounts on a modern ClickHouse (SQL access control; 18.16 has none, see README).
-- Applied by `applyAnalystGrants` (the migrate job does it when CLICKHOUSE_ANALYST_PASSWORD is
-- set, and then needs CLICKHOUSE_WRITER_PASSWORD too) with {database}, {analyst_password_sha256}
-- and {writer_password_sha256} substituted; run it as a user with
-- access_management. Every statement is idempotent: applying it again changes nothing but the
-- password.
--
-- What the analyst can read: the views, and history_events column by column without `feature`.
-- The column grant is needed because views run with the reader's privileges (SQL SECURITY
-- INVOKER is the default, and 18.16 cannot parse DEFINER in the shared migrations): a view
-- reading history_events needs SELECT on the columns it reads. An allow-list rather than
-- "everything but feature": a column added later stays hidden until it is listed here.
-- One GRANT per view: wildcard grants (v_*) only exist from 24.x on and their syntax moved.
CREATE ROLE IF NOT EXISTS sophon_analyst;

GRANT SELECT ON {database}.v_events TO sophon_analyst;
GRANT SELECT ON {database}.v_events_per_device_hour TO sophon_analyst;
GRANT SELECT ON {database}.v_attendance_daily TO sophon_analyst;
GRANT SELECT ON {database}.v_strangers_per_device_day TO sophon_analyst;
GRANT SELECT ON {database}.v_watchlist_hits TO sophon_analyst;
GRANT SELECT ON {database}.v_demographics_daily TO sophon_analyst;
GRANT SELECT ON {database}.v_score_histogram TO sophon_analyst;
GRANT SELECT ON {database}.v_device_last_seen TO sophon_analyst;
GRANT SELECT ON {database}.v_upload_lag_per_device_day TO sophon_analyst;
GRANT SELECT ON {database}.v_registrations TO sophon_analyst;

GRANT SELECT(
    event_id, event_time, event_time_ms, dev_sno, ep_id, device_ip, device_type,
    identity_id, identity_name, group_name, person_type, score, want_action, fiqa_result,
    age, gender, glasses, face_box, reg_pic_key, spot_pic_key, ir_pic_key, face_pic_key,
    received_at, received_at_ms, kafka_topic, kafka_partition, kafka_offset, ext_json,
    score_normalised, source_format
) ON {database}.history_events TO sophon_analyst;

GRANT SELECT ON {database}.registrations TO sophon_analyst;

-- What device-sync pushed to the boxes (migration 0004).
GRANT SELECT ON {database}.v_device_deliveries TO sophon_analyst;
GRANT SELECT ON {database}.device_deliveries TO sophon_analyst;

-- The device registry (migration 0006): its views, and the tables they read (no biometrics there).
GRANT SELECT ON {database}.v_device_status_latest TO sophon_analyst;
GRANT SELECT ON {database}.v_device_cameras_latest TO sophon_analyst;
GRANT SELECT ON {database}.v_cameras_offline TO sophon_analyst;
GRANT SELECT ON {database}.v_device_silence TO sophon_analyst;
GRANT SELECT ON {database}.v_firmware_versions TO sophon_analyst;
GRANT SELECT ON {database}.v_device_health_alerts TO sophon_analyst;
GRANT SELECT ON {database}.device_status TO sophon_analyst;
GRANT SELECT ON {database}.device_cameras TO sophon_analyst;
GRANT SELECT ON {database}.device_health_settings TO sophon_analyst;

-- readonly = 1: SELECT only, and no setting can be changed (so neither can readonly itself)
-- but max_execution_time: Grafana's ClickHouse data source sets it on every query. CHANGEABLE_IN_READONLY
-- needs <settings_constraints_replace_previous> on (deploy/clickhouse/config.d/sophon.xml).
-- ALTER ... SETTINGS brings a user created by an earlier version of this file up to date.
CREATE USER IF NOT EXISTS analyst IDENTIFIED WITH sha256_hash BY {analyst_password_sha256} SETTINGS readonly = 1, max_execution_time CHANGEABLE_IN_READONLY;
ALTER USER analyst IDENTIFIED WITH sha256_hash BY {analyst_password_sha256};
ALTER USER analyst SETTINGS readonly = 1, max_execution_time CHANGEABLE_IN_READONLY;
GRANT sophon_analyst TO analyst;
ALTER USER analyst DEFAULT ROLE sophon_analyst;

-- The writers' account: the analytics writer, the registration worker and device-sync log in as
-- it, not as the administrator the image creates (all privileges, with grant option), which stays
-- with the migrate job. It may insert and read the tables they write and nothing else: no DDL (DROP,
-- ALTER, CREATE, TRUNCATE), no other table (schema_migrations included), no grant option. SELECT
-- because the registration worker looks its decisions up, and a writer may check what it stored.
-- Not readonly: an insert is a write. Needs {writer_password_sha256}.
CREATE ROLE IF NOT EXISTS sophon_writer;

GRANT SELECT, INSERT ON {database}.history_events TO sophon_writer;
GRANT SELECT, INSERT ON {database}.registrations TO sophon_writer;
GRANT SELECT, INSERT ON {database}.device_status TO sophon_writer;
GRANT SELECT, INSERT ON {database}.device_cameras TO sophon_writer;
GRANT SELECT, INSERT ON {database}.device_deliveries TO sophon_writer;

CREATE USER IF NOT EXISTS writer IDENTIFIED WITH sha256_hash BY {writer_password_sha256};
ALTER USER writer IDENTIFIED WITH sha256_hash BY {writer_password_sha256};
GRANT sophon_writer TO writer;
ALTER USER writer DEFAULT ROLE sophon_writer;

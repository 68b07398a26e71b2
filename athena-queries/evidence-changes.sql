-- evidence-changes: change records with their record_hash, for the compliance evidence export.
-- Purpose: Every field of each change, one row per event_id (the first delivery; duplicates carry
--   the same record_hash), so an exported row can be checked against the log by recomputing its
--   record_hash. Array columns (changed_attributes, redacted_attributes, overflow_fields) are JSON array text here,
--   so Athena and DuckDB return identical, unambiguous values.
-- Parameters:
--   :from        date         First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to          date         Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :account_id  account_id?  Source account id (12 digits); optional, '*' for every account.
--   :table_name  table_name?  Source table name; optional, '*' for every table.
--   :include_heartbeat  boolean?  Include the heartbeat's rows (table ddb-audit-heartbeat): true or false, default false.
--                             They prove the pipeline runs every 5 minutes; they are not changes to your data.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01'). A parameter marked "optional" takes '*' for "all".
-- Partition predicate: dt BETWEEN :from AND :to (plus account_id and table_name when given); table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat
WITH scoped AS (
  -- change_key: event_id, or record_hash for error records that have no event_id
  SELECT *, coalesce(event_id, record_hash) AS change_key
  FROM audit_changes
  WHERE dt BETWEEN :from AND :to
    AND (:include_heartbeat = 'true' OR table_name <> 'ddb-audit-heartbeat')
    AND (:account_id = '*' OR account_id = :account_id)
    AND (:table_name = '*' OR table_name = :table_name)
),
changes AS (
  SELECT
    *,
    row_number() OVER (PARTITION BY change_key ORDER BY record_hash, processed_at) AS delivery
  FROM scoped
)
SELECT
  schema_version,
  event_id,
  event_name,
  op,
  is_ttl_expiry,
  event_version,
  event_time,
  processed_at,
  account_id,
  region,
  table_name,
  stream_arn,
  dt,
  sequence_number,
  stream_view_type,
  size_bytes,
  keys,
  item_key,
  new_image,
  old_image,
  json_format(CAST(changed_attributes AS JSON)) AS changed_attributes,
  user_identity,
  actor,
  actor_source,
  json_format(CAST(redacted_attributes AS JSON)) AS redacted_attributes,
  overflow_uri,
  record_hash,
  normalization_error,
  raw_record,
  json_format(CAST(overflow_fields AS JSON)) AS overflow_fields,
  keys_types,
  new_image_types,
  old_image_types,
  snapshot_source
FROM changes
WHERE delivery = 1
ORDER BY account_id, table_name, dt, event_time, lpad(sequence_number, 40, '0'), event_id

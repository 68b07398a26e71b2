-- table-changes: all changes to one table in a time window.
-- Purpose: "What changed in this table between these days?" One row per change (duplicate
--   deliveries removed by event_id), oldest first.
-- Parameters:
--   :from        date        First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to          date        Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :account_id  account_id  Source account id (12 digits).
--   :table_name  table_name  Source table name.
--   :include_heartbeat  boolean?  Include the heartbeat's rows (table ddb-audit-heartbeat): true or false, default false.
--                            They prove the pipeline runs every 5 minutes; they are not changes to your data.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01'). A parameter marked "optional" takes '*' for "all".
-- Partition predicate: dt BETWEEN :from AND :to AND account_id = :account_id AND table_name = :table_name; table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat
WITH scoped AS (
  -- change_key: event_id, or record_hash for error records that have no event_id
  SELECT *, coalesce(event_id, record_hash) AS change_key
  FROM audit_changes
  WHERE dt BETWEEN :from AND :to
    AND (:include_heartbeat = 'true' OR table_name <> 'ddb-audit-heartbeat')
    AND account_id = :account_id
    AND table_name = :table_name
),
changes AS (
  SELECT
    *,
    row_number() OVER (PARTITION BY change_key ORDER BY record_hash, processed_at) AS delivery
  FROM scoped
)
SELECT
  event_time,
  item_key,
  event_name,
  op,
  is_ttl_expiry,
  actor,
  changed_attributes,
  sequence_number,
  event_id,
  normalization_error
FROM changes
WHERE delivery = 1
ORDER BY event_time, item_key, lpad(sequence_number, 40, '0')

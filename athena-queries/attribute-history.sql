-- attribute-history: one attribute's old value, new value, actor and time, change by change.
-- Purpose: "Who changed this attribute, from what, to what, and when?" One row per change whose
--   changed_attributes lists the attribute (duplicate deliveries removed by event_id). Values are
--   JSON text (strings quoted, numbers with every digit, maps and lists as JSON); NULL when absent.
--   A snapshot row (event_name SNAPSHOT, `ddb-audit backfill`) comes first for its item: new_value is
--   the attribute at the export time, the baseline the first change starts from.
-- Parameters:
--   :from        date        First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to          date        Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :account_id  account_id  Source account id (12 digits).
--   :table_name  table_name  Source table name.
--   :attribute   attribute   Top-level attribute name (letters, digits and _, starting with a letter or _).
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
    AND contains(changed_attributes, :attribute)
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
  json_format(json_extract(old_image, concat('$.', :attribute))) AS old_value,
  json_format(json_extract(new_image, concat('$.', :attribute))) AS new_value,
  actor,
  actor_source,
  sequence_number,
  event_id
FROM changes
WHERE delivery = 1
ORDER BY item_key, CASE WHEN op = 'r' THEN 0 ELSE 1 END, event_time, lpad(sequence_number, 40, '0')

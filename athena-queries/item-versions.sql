-- item-versions: every stored copy of every change of one item, with all its fields, for `ddb-audit item restore`.
-- Purpose: "What did this item hold after a given change, or at a given time?" Every field of each
--   change (type information included), so the item can be rebuilt exactly and each row's
--   record_hash checked before it is trusted. Duplicate deliveries are NOT removed here: the
--   caller compares the copies of one event_id and refuses conflicting ones. Array columns are
--   JSON array text, so Athena and DuckDB return identical values.
-- Parameters:
--   :from        date        First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to          date        Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :account_id  account_id  Source account id (12 digits).
--   :table_name  table_name  Source table name.
--   :item_key    text        The item's key exactly as in item_key: JSON with attribute names sorted,
--                            e.g. {"pk":"user#1","sk":"profile"}.
--   :include_heartbeat  boolean?  Include the heartbeat's rows (table ddb-audit-heartbeat): true or false, default false.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01').
-- Partition predicate: dt BETWEEN :from AND :to AND account_id = :account_id AND table_name = :table_name; table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat
-- Order: snapshot rows (op 'r', the item at an export's time) first, then by sequence_number as a number
--   (decimal strings of 21 to 40 digits, compared left-padded).
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
  keys_types,
  new_image_types,
  old_image_types,
  snapshot_source
FROM audit_changes
WHERE dt BETWEEN :from AND :to
  AND account_id = :account_id
  AND table_name = :table_name
  AND item_key = :item_key
  AND (:include_heartbeat = 'true' OR table_name <> 'ddb-audit-heartbeat')
ORDER BY CASE WHEN op = 'r' THEN 0 ELSE 1 END, event_time, lpad(sequence_number, 40, '0'), event_id, processed_at

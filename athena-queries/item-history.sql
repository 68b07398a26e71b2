-- item-history: the full history of one item, every version written, in stream sequence order.
-- Purpose: "What happened to this record, and who changed it?" One row per change (duplicate
--   deliveries removed by event_id), with the images before and after, the attributes that
--   changed and the actor.
-- Parameters:
--   :from        date        First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to          date        Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :account_id  account_id  Source account id (12 digits).
--   :table_name  table_name  Source table name.
--   :item_key    text        The item's key exactly as in item_key: JSON with attribute names sorted,
--                            e.g. {"pk":"user#1","sk":"profile"}.
--   :include_heartbeat  boolean?  Include the heartbeat's rows (table ddb-audit-heartbeat): true or false, default false.
--                            They prove the pipeline runs every 5 minutes; they are not changes to your data.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01'). A parameter marked "optional" takes '*' for "all".
-- Partition predicate: dt BETWEEN :from AND :to AND account_id = :account_id AND table_name = :table_name; table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat
-- Order: snapshot rows (op 'r', `ddb-audit backfill`: the item's state at the export time, event_time)
--   first, oldest export first; then the stream's changes by sequence_number as a number (decimal
--   strings of 21 to 40 digits, compared left-padded). A change whose event_time is before a
--   snapshot's is already contained in that snapshot (docs/completeness.md, "Onboarding order").
WITH scoped AS (
  -- change_key: event_id, or record_hash for error records that have no event_id
  SELECT *, coalesce(event_id, record_hash) AS change_key
  FROM audit_changes
  WHERE dt BETWEEN :from AND :to
    AND (:include_heartbeat = 'true' OR table_name <> 'ddb-audit-heartbeat')
    AND account_id = :account_id
    AND table_name = :table_name
    AND item_key = :item_key
),
changes AS (
  SELECT
    *,
    row_number() OVER (PARTITION BY change_key ORDER BY record_hash, processed_at) AS delivery
  FROM scoped
)
SELECT
  event_time,
  sequence_number,
  event_name,
  op,
  is_ttl_expiry,
  actor,
  actor_source,
  changed_attributes,
  old_image,
  new_image,
  event_id,
  record_hash,
  snapshot_source
FROM changes
WHERE delivery = 1
ORDER BY CASE WHEN op = 'r' THEN 0 ELSE 1 END, lpad(sequence_number, 40, '0'), event_time

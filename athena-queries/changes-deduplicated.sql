-- changes-deduplicated: one row per event_id, one copy of each change.
-- Purpose: Firehose and the collector deliver at least once, so a retried batch can write a change
--   twice (same event_id, same record_hash). This is the exactly-once view of the log; deliveries
--   says how many copies were found. Records without an event_id (normalization errors of records
--   that had none) are keyed by record_hash instead.
-- De-duplication rule (every bundled query): the copy with the smallest record_hash, which is
--   hashed content, so no unhashed field chooses between copies whose content differs;
--   processed_at only orders copies that claim the same record_hash. Copies of one change that
--   differ at all are never a legitimate retry: `ddb-audit log verify` reports them as
--   conflicting-copies (docs/tamper-evident-log.md).
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
    row_number() OVER (PARTITION BY change_key ORDER BY record_hash, processed_at) AS delivery,
    count(*) OVER (PARTITION BY change_key) AS deliveries
  FROM scoped
)
SELECT
  event_id,
  account_id,
  table_name,
  dt,
  event_time,
  item_key,
  event_name,
  op,
  is_ttl_expiry,
  actor,
  sequence_number,
  record_hash,
  deliveries
FROM changes
WHERE delivery = 1
ORDER BY account_id, table_name, event_time, item_key, lpad(sequence_number, 40, '0')

-- daily-volume: change count per source account, table and day.
-- Purpose: "How much changed, where, and when?" changes counts distinct event_ids (what happened);
--   deliveries counts rows (more than changes when the collector retried and Firehose kept a
--   duplicate). Inserts, updates, deletes, TTL expiries and normalization errors broken out.
--   Only changes (op c, u, d, and error records) count: snapshot rows (op 'r', `ddb-audit backfill`:
--   the items at an export's time) and any other row kind that is not a change are left out.
-- Parameters:
--   :from  date  First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to    date  Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :include_heartbeat  boolean?  Include the heartbeat's rows (table ddb-audit-heartbeat): true or false, default false.
--                They prove the pipeline runs every 5 minutes; they are not changes to your data.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01'). A parameter marked "optional" takes '*' for "all".
-- Partition predicate: dt BETWEEN :from AND :to; table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat
WITH scoped AS (
  -- change_key: event_id, or record_hash for error records that have no event_id
  SELECT *, coalesce(event_id, record_hash) AS change_key
  FROM audit_changes
  WHERE dt BETWEEN :from AND :to
    AND (:include_heartbeat = 'true' OR table_name <> 'ddb-audit-heartbeat')
    AND (op IS NULL OR op IN ('c', 'u', 'd'))
)
SELECT
  account_id,
  table_name,
  dt,
  count(DISTINCT change_key) AS changes,
  count(*) AS deliveries,
  count(DISTINCT CASE WHEN op = 'c' THEN event_id END) AS inserts,
  count(DISTINCT CASE WHEN op = 'u' THEN event_id END) AS updates,
  count(DISTINCT CASE WHEN op = 'd' AND NOT is_ttl_expiry THEN event_id END) AS user_deletes,
  count(DISTINCT CASE WHEN is_ttl_expiry THEN event_id END) AS ttl_expiries,
  count(DISTINCT CASE WHEN normalization_error IS NOT NULL THEN change_key END) AS normalization_errors
FROM scoped
GROUP BY account_id, table_name, dt
ORDER BY account_id, table_name, dt

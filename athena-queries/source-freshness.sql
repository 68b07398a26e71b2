-- source-freshness: the last change seen from each source table, to spot late or missing data.
-- Purpose: "Is every source still sending?" Per account and table: the newest event_time and
--   processed_at, how long ago that was (minutes_since_last_change, against the query's clock, UTC),
--   the worst delivery lag seen (processed_at - event_time) and how many of the days had changes.
--   A source that stopped (stream disabled, grant removed, mapping failing) shows an old
--   last_event_time; a source missing entirely has no row: compare with the onboarded list.
--   Unlike the other queries, this one shows the heartbeat (is_heartbeat true: table
--   ddb-audit-heartbeat of the audit account, written every 5 minutes by the pipeline itself):
--   an old heartbeat means the pipeline, not a source, has stopped.
-- Parameters:
--   :from  date  First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to    date  Last day (dt, UTC), inclusive, yyyy-MM-dd.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01'). A parameter marked "optional" takes '*' for "all".
-- Partition predicate: dt BETWEEN :from AND :to
WITH scoped AS (
  -- change_key: event_id, or record_hash for error records that have no event_id
  SELECT *, coalesce(event_id, record_hash) AS change_key
  FROM audit_changes
  WHERE dt BETWEEN :from AND :to
    -- Only what a stream delivered (op c, u, d, and error records) is a sign of life: snapshot rows
    -- (op 'r', `ddb-audit backfill`) carry an export's time, and other row kinds are not changes.
    AND (op IS NULL OR op IN ('c', 'u', 'd'))
)
SELECT
  account_id,
  table_name,
  table_name = 'ddb-audit-heartbeat' AS is_heartbeat,
  max(event_time) AS last_event_time,
  max(processed_at) AS last_processed_at,
  date_diff('minute', max(event_time), CAST(current_timestamp AS timestamp)) AS minutes_since_last_change,
  max(date_diff('second', event_time, processed_at)) AS max_delivery_lag_seconds,
  count(DISTINCT dt) AS days_with_changes,
  count(DISTINCT change_key) AS changes
FROM scoped
GROUP BY account_id, table_name
ORDER BY last_event_time, account_id, table_name

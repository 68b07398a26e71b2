-- source-coverage: per source table, what the log covers and what it is missing, for a period.
-- Purpose: "Is this everything?" One row per source (row_kind 'source'): when the log first holds a
--   row of it in the period (first_row_at), the baseline export (baseline_export_at: the newest
--   op = 'r' snapshot row's event_time, or null when there is none), the first and last change seen
--   (op c/u/d), changes, error records (normalization_error set) and its gaps; then one row per gap
--   (row_kind 'gap'): the old and new stream ARNs, the bounds (gap_from, gap_to: ISO-8601 UTC text;
--   gap_to null while the gap is open) and whether it was filled (a 'filled' gap row, written by
--   the backfill, exists). Gaps are the op = 'g' rows the stream-lifecycle watch writes
--   (docs/coverage.md, "Gaps"); their fields are JSON in new_image.
--   A source with no row in the period is absent: compare with `ddb-audit sources list`;
--   `ddb-audit coverage` does, and adds the watch's current stream status and the failure bucket.
-- Parameters:
--   :from  date  First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to    date  Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :include_heartbeat  boolean?  Include the heartbeat's table (ddb-audit-heartbeat): true or false, default false.
--                It proves the pipeline runs every 5 minutes; it is not one of your sources.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01'). A parameter marked "optional" takes '*' for "all".
-- Partition predicate: dt BETWEEN :from AND :to; table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat
WITH scoped AS (
  SELECT *
  FROM audit_changes
  WHERE dt BETWEEN :from AND :to
    AND (:include_heartbeat = 'true' OR table_name <> 'ddb-audit-heartbeat')
),
gap_rows AS (
  SELECT
    account_id,
    table_name,
    event_time,
    json_extract_scalar(new_image, '$.gap_id') AS gap_id,
    json_extract_scalar(new_image, '$.state') AS gap_state,
    json_extract_scalar(new_image, '$.old_stream_arn') AS old_stream_arn,
    json_extract_scalar(new_image, '$.new_stream_arn') AS new_stream_arn,
    json_extract_scalar(new_image, '$.gap_from') AS gap_from,
    json_extract_scalar(new_image, '$.gap_to') AS gap_to,
    json_extract_scalar(new_image, '$.filled_by') AS filled_by
  FROM scoped
  WHERE op = 'g'
),
gaps AS (
  SELECT
    account_id,
    table_name,
    gap_id,
    max_by(gap_state, event_time) AS gap_state,
    max(old_stream_arn) AS old_stream_arn,
    max(new_stream_arn) AS new_stream_arn,
    min(gap_from) AS gap_from,
    max(CASE WHEN gap_state IN ('closed', 'filled') THEN gap_to END) AS gap_to,
    bool_or(gap_state = 'filled') AS gap_filled,
    max(filled_by) AS filled_by
  FROM gap_rows
  GROUP BY account_id, table_name, gap_id
),
sources AS (
  SELECT
    account_id,
    table_name,
    min(processed_at) AS first_row_at,
    max(CASE WHEN op = 'r' THEN event_time END) AS baseline_export_at,
    min(CASE WHEN op IN ('c', 'u', 'd') THEN event_time END) AS first_change_at,
    max(CASE WHEN op IN ('c', 'u', 'd') THEN event_time END) AS last_change_at,
    count(DISTINCT CASE WHEN op IN ('c', 'u', 'd') THEN event_id END) AS changes,
    count(DISTINCT CASE WHEN normalization_error IS NOT NULL THEN record_hash END) AS error_records
  FROM scoped
  GROUP BY account_id, table_name
),
gap_counts AS (
  SELECT
    account_id,
    table_name,
    count(*) AS gaps,
    count(CASE WHEN NOT gap_filled THEN 1 END) AS unfilled_gaps
  FROM gaps
  GROUP BY account_id, table_name
)
SELECT
  'source' AS row_kind,
  s.account_id,
  s.table_name,
  s.first_row_at,
  s.baseline_export_at,
  s.first_change_at,
  s.last_change_at,
  s.changes,
  s.error_records,
  coalesce(c.gaps, 0) AS gaps,
  coalesce(c.unfilled_gaps, 0) AS unfilled_gaps,
  CAST(NULL AS varchar) AS gap_id,
  CAST(NULL AS varchar) AS gap_state,
  CAST(NULL AS varchar) AS old_stream_arn,
  CAST(NULL AS varchar) AS new_stream_arn,
  CAST(NULL AS varchar) AS gap_from,
  CAST(NULL AS varchar) AS gap_to,
  CAST(NULL AS boolean) AS gap_filled,
  CAST(NULL AS varchar) AS filled_by
FROM sources s
LEFT JOIN gap_counts c ON c.account_id = s.account_id AND c.table_name = s.table_name
UNION ALL
SELECT
  'gap' AS row_kind,
  g.account_id,
  g.table_name,
  CAST(NULL AS timestamp) AS first_row_at,
  CAST(NULL AS timestamp) AS baseline_export_at,
  CAST(NULL AS timestamp) AS first_change_at,
  CAST(NULL AS timestamp) AS last_change_at,
  CAST(NULL AS bigint) AS changes,
  CAST(NULL AS bigint) AS error_records,
  CAST(NULL AS bigint) AS gaps,
  CAST(NULL AS bigint) AS unfilled_gaps,
  g.gap_id,
  g.gap_state,
  g.old_stream_arn,
  g.new_stream_arn,
  g.gap_from,
  g.gap_to,
  g.gap_filled,
  g.filled_by
FROM gaps g
ORDER BY account_id, table_name, row_kind DESC, gap_from, gap_id

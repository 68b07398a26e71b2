-- actor-activity: everything one actor changed, across every source account and table.
-- Purpose: "What did this person or service change?" One row per change whose actor matches
--   (duplicate deliveries removed by event_id), oldest first. The actor comes from each source's
--   configured actor attribute, or is dynamodb.amazonaws.com for TTL expiries: DynamoDB Streams do
--   not record the caller, so a change made without setting that attribute has no actor.
--   The caller CloudTrail recorded (principal-based attribution, beside this attribute) is
--   change-attribution with :principal (an IAM principal or role ARN): it needs CloudTrail data
--   events and the cloudtrail_events table (docs/attribution.md), which this query does not, so
--   it keeps working where attribution is not set up.
-- Parameters:
--   :from   date  First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to     date  Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :actor  text  The actor exactly as recorded, e.g. alice@example.com.
--   :include_heartbeat  boolean?  Include the heartbeat's rows (table ddb-audit-heartbeat): true or false, default false.
--                 They prove the pipeline runs every 5 minutes; they are not changes to your data.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01'). A parameter marked "optional" takes '*' for "all".
-- Partition predicate: dt BETWEEN :from AND :to (every account and table: scans all of those days); table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat
WITH scoped AS (
  -- change_key: event_id, or record_hash for error records that have no event_id
  SELECT *, coalesce(event_id, record_hash) AS change_key
  FROM audit_changes
  WHERE dt BETWEEN :from AND :to
    AND (:include_heartbeat = 'true' OR table_name <> 'ddb-audit-heartbeat')
    AND actor = :actor
),
changes AS (
  SELECT
    *,
    row_number() OVER (PARTITION BY change_key ORDER BY record_hash, processed_at) AS delivery
  FROM scoped
)
SELECT
  event_time,
  account_id,
  table_name,
  item_key,
  event_name,
  changed_attributes,
  actor_source,
  sequence_number,
  event_id
FROM changes
WHERE delivery = 1
ORDER BY event_time, account_id, table_name, item_key, lpad(sequence_number, 40, '0')

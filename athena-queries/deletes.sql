-- deletes: every deleted item, split into user deletes and Time to Live (TTL) expiries.
-- Purpose: "Who deleted what, and what expired on its own?" delete_kind is 'ttl' for REMOVE records
--   made by DynamoDB TTL (userIdentity Service dynamodb.amazonaws.com) and 'user' for all others.
--   One row per delete (duplicate deliveries removed by event_id), with the item as it was.
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
    AND event_name = 'REMOVE'
),
changes AS (
  SELECT
    *,
    row_number() OVER (PARTITION BY change_key ORDER BY record_hash, processed_at) AS delivery
  FROM scoped
)
SELECT
  CASE WHEN is_ttl_expiry THEN 'ttl' ELSE 'user' END AS delete_kind,
  account_id,
  table_name,
  event_time,
  item_key,
  actor,
  actor_source,
  old_image,
  sequence_number,
  event_id
FROM changes
WHERE delivery = 1
ORDER BY delete_kind, account_id, table_name, event_time, lpad(sequence_number, 40, '0')

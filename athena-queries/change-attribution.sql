-- change-attribution: who made each change, from CloudTrail data events joined to the log when read.
-- Purpose: "Who changed this item?" One row per change (duplicate deliveries removed by event_id)
--   with the caller CloudTrail recorded for it: principal_arn, principal_type, session_issuer_arn,
--   source_ip, user_agent and the CloudTrail event. attribution says how sure the join is: exact
--   (one successful single-item call matches), ambiguous (several calls or changes compete;
--   candidate_count says how many calls), none (attribution_reason says why), ttl (deleted by
--   DynamoDB Time to Live). The log itself is never rewritten. Needs the cloudtrail_events table
--   (config attribution.cloudTrail, docs/attribution.md).
-- Parameters:
--   :from        date         First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to          date         Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :account_id  account_id?  Source account id (12 digits); optional, '*' for every account.
--   :table_name  table_name?  Source table name; optional, '*' for every table.
--   :item_key    text?        The item's key exactly as in item_key, e.g. {"pk":"user#1"}; optional, '*' for every item.
--   :principal   text?        Only the changes attributed exactly to this caller: its principal_arn or its session_issuer_arn
--                             (a role: every session of it); optional, '*' for every change. The configured actor shows beside it.
--   :include_heartbeat  boolean?  Include the heartbeat's rows (table ddb-audit-heartbeat): true or false, default false.
--                             They prove the pipeline runs every 5 minutes; they are not changes to your data.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01'). A parameter marked "optional" takes '*' for "all".
-- Partition predicate: audit_changes: dt BETWEEN :from AND :to (plus account_id and table_name when given);
--   table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat. cloudtrail_events: log_date
--   (yyyy/MM/dd, the delivery day) from the day before :from to the day after :to, since a call
--   just before midnight is delivered the next day; account_id when given.
-- The join: same account (recipientAccountId), region and table (requestParameters.tableName, a
--   name or an ARN); the same key (the members of requestParameters.key and of item_key compared
--   as sorted "name":value texts, so member order and number quoting do not matter); successful calls only (no
--   errorCode); CloudTrail's eventTime within 1 second either side of the change's event_time
--   (both are whole seconds: the stream's ApproximateCreationDateTime and the call's completion).
--   exact needs one candidate call for the change AND no other change of the item claiming that
--   call; anything else with a candidate is ambiguous: a wrong name is worse than none.
--   Only the stream's changes (op c, u, d) are candidates: a snapshot (op r) or a gap record (op g)
--   is never matched and never counted against a real change of its item.
-- Reasons (attribution_reason): single-item-call (exact); competing-candidates (ambiguous);
--   ttl-expiry; and for none, the first that applies: snapshot (op r, a row of `ddb-audit
--   backfill`: the item's state at an export, no one's call), gap-record (op g: the log's own
--   record of a window it did not read), no-key-or-time (an error record),
--   global-table-replica (the matching call is in another region: this change was replicated),
--   transact-write-items, batch-write-item, partiql (a call of that kind on the table in the
--   window: not joined by key, see docs/attribution.md), conditional-check-failed / failed-call
--   (only a failed call matches: it changed nothing), cloudtrail-unavailable (cloudtrail_events
--   holds no DynamoDB write event at all for the change's account and region in the days read:
--   no trail, data events off there, or no files locally; nothing can be said of its caller),
--   no-cloudtrail-event (CloudTrail input exists there, and no call meets this change).
-- The join (CTEs scoped … judged) is shared, as text, with actor-activity.sql
--   (test/unit/actor-activity-join.unit.test.ts) and is the view audit_changes_attributed.
WITH scoped AS (
  -- change_key: event_id, or record_hash for error records that have no event_id
  SELECT *, coalesce(event_id, record_hash) AS change_key
  FROM audit_changes
  WHERE dt BETWEEN :from AND :to
    AND (:include_heartbeat = 'true' OR table_name <> 'ddb-audit-heartbeat')
    AND (:account_id = '*' OR account_id = :account_id)
    AND (:table_name = '*' OR table_name = :table_name)
    AND (:item_key = '*' OR item_key = :item_key)
),
changes AS (
  SELECT
    *,
    row_number() OVER (PARTITION BY change_key ORDER BY record_hash, processed_at) AS delivery
  FROM scoped
),
change_keys AS (
  -- The key as one text: its "name":value members (scalar values: S, N and B keys) sorted, then the
  -- quotes around string values dropped, so that {"id":"42"} and {"id":42} read alike (a key
  -- attribute has one type per table, so this merges nothing that differs; whether CloudTrail
  -- writes numbers quoted is not documented). Escapes inside values are kept, so no value can
  -- imitate a member boundary.
  SELECT
    change_key,
    account_id,
    region,
    table_name,
    regexp_replace(replace(replace(
      array_join(array_sort(regexp_extract_all(json_format(json_parse(item_key)), '"(?:[^"\\]|\\.)*":(?:"(?:[^"\\]|\\.)*"|[^,}]*)')), ','),
      '":"', '":'), '",', ','), '"$', '') AS key_text,
    CAST(floor(to_unixtime(event_time)) AS BIGINT) AS change_second
  FROM changes
  -- Only the stream's changes (op c, u, d) are writes a caller made. A snapshot (op r, from
  -- `ddb-audit backfill`: the item's state at an export) and a gap record (op g, the log's own
  -- statement of a window it did not read) are no one's call: as candidates they would take an
  -- unrelated call as exact, or make a real change of the item in the same second ambiguous.
  WHERE delivery = 1 AND op IN ('c', 'u', 'd') AND NOT is_ttl_expiry AND item_key IS NOT NULL AND event_time IS NOT NULL
),
change_window AS (
  SELECT c.*, c.change_second + o.offset_seconds AS match_second
  FROM change_keys c
  CROSS JOIN (VALUES (-1), (0), (1)) AS o(offset_seconds)
),
trail_scoped AS (
  SELECT
    *,
    row_number() OVER (PARTITION BY eventid ORDER BY eventtime) AS copy
  FROM cloudtrail_events
  WHERE log_date BETWEEN replace(CAST(CAST(CAST(:from AS DATE) - INTERVAL '1' DAY AS DATE) AS VARCHAR), '-', '/')
                     AND replace(CAST(CAST(CAST(:to AS DATE) + INTERVAL '1' DAY AS DATE) AS VARCHAR), '-', '/')
    AND (:account_id = '*' OR account_id = :account_id)
    AND eventsource = 'dynamodb.amazonaws.com'
    AND eventname IN ('PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem', 'ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction')
),
trail AS (
  -- One row per CloudTrail event (a file delivered twice is read once).
  SELECT
    eventid,
    eventname,
    eventtime,
    errorcode,
    recipientaccountid,
    awsregion,
    requestparameters,
    useridentity,
    sourceipaddress,
    useragent,
    CAST(floor(to_unixtime(from_iso8601_timestamp(eventtime))) AS BIGINT) AS event_second,
    -- tableName is a name or a table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)
    regexp_extract(json_extract_scalar(requestparameters, '$.tableName'), '([^/]+)$', 1) AS request_table,
    regexp_replace(replace(replace(
      array_join(array_sort(regexp_extract_all(json_format(json_extract(requestparameters, '$.key')), '"(?:[^"\\]|\\.)*":(?:"(?:[^"\\]|\\.)*"|[^,}]*)')), ','),
      '":"', '":'), '",', ','), '"$', '') AS key_text
  FROM trail_scoped
  WHERE copy = 1
),
matches AS (
  -- Every single-item call on the same account, table and key within the window, in any region.
  SELECT w.change_key, w.region AS change_region, t.eventid, t.errorcode, t.awsregion
  FROM change_window w
  JOIN trail t
    ON t.recipientaccountid = w.account_id
   AND t.request_table = w.table_name
   AND t.key_text = w.key_text
   AND t.event_second = w.match_second
  WHERE t.eventname IN ('PutItem', 'UpdateItem', 'DeleteItem')
),
candidates AS (
  SELECT DISTINCT change_key, eventid
  FROM matches
  WHERE errorcode IS NULL AND awsregion = change_region
),
per_change AS (
  SELECT change_key, count(*) AS candidate_count, min(eventid) AS first_event
  FROM candidates
  GROUP BY change_key
),
per_event AS (
  SELECT eventid, count(*) AS claimants
  FROM candidates
  GROUP BY eventid
),
key_hints AS (
  SELECT
    change_key,
    count_if(errorcode IS NULL AND awsregion <> change_region) AS replica_calls,
    count_if(errorcode = 'ConditionalCheckFailedException' AND awsregion = change_region) AS failed_conditions,
    count_if(errorcode IS NOT NULL AND awsregion = change_region) AS failed_calls
  FROM matches
  GROUP BY change_key
),
table_hints AS (
  -- Successful calls that are not joined by key, on the same account, region and table in the window.
  -- The table is found in the request text: "Music" (tableName / TableName / a BatchWriteItem map
  -- key) or …table/Music" (an ARN), or after FROM / INTO / UPDATE in a PartiQL statement.
  SELECT
    w.change_key,
    count_if(t.eventname = 'TransactWriteItems') AS transact_calls,
    count_if(t.eventname = 'BatchWriteItem') AS batch_calls,
    count_if(t.eventname IN ('ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction')) AS partiql_calls
  FROM change_window w
  JOIN trail t
    ON t.recipientaccountid = w.account_id
   AND t.awsregion = w.region
   AND t.event_second = w.match_second
  -- Only changes without a candidate need a reason: the others are exact or ambiguous already.
  LEFT JOIN per_change pc ON pc.change_key = w.change_key
  WHERE pc.change_key IS NULL
    AND t.errorcode IS NULL
    AND t.eventname IN ('TransactWriteItems', 'BatchWriteItem', 'ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction')
    AND (
      strpos(t.requestparameters, concat('"', w.table_name, '"')) > 0
      OR strpos(t.requestparameters, concat('table/', w.table_name, '"')) > 0
      OR regexp_like(t.requestparameters, concat('(?i)(from|into|update)\s+(\\")?', replace(w.table_name, '.', '\.'), '(\\")?([^A-Za-z0-9_.-]|$)'))
    )
  GROUP BY w.change_key
),
trail_coverage AS (
  -- The accounts and regions for which the CloudTrail days read hold any DynamoDB write event. A
  -- change elsewhere cannot be attributed at all: that is "unavailable", not "no call matched".
  SELECT DISTINCT recipientaccountid AS account_id, awsregion AS region
  FROM trail
),
attributed AS (
  SELECT
    c.*,
    pc.candidate_count,
    CASE WHEN pc.candidate_count = 1 AND pe.claimants = 1 THEN pc.first_event END AS exact_event,
    kh.replica_calls,
    kh.failed_conditions,
    kh.failed_calls,
    th.transact_calls,
    th.batch_calls,
    th.partiql_calls,
    v.account_id IS NOT NULL AS has_cloudtrail
  FROM changes c
  LEFT JOIN per_change pc ON pc.change_key = c.change_key
  LEFT JOIN per_event pe ON pe.eventid = pc.first_event
  LEFT JOIN key_hints kh ON kh.change_key = c.change_key
  LEFT JOIN table_hints th ON th.change_key = c.change_key
  LEFT JOIN trail_coverage v ON v.account_id = c.account_id AND v.region = c.region
  WHERE c.delivery = 1
),
judged AS (
  -- attribution (a contract: exact, ambiguous, none, ttl) and its reason, the first that applies.
  -- A snapshot or a gap record is none with a reason of its own: it is not a change by a caller.
  SELECT
    a.*,
    CASE
      WHEN a.is_ttl_expiry THEN 'ttl'
      WHEN a.exact_event IS NOT NULL THEN 'exact'
      WHEN a.candidate_count > 0 THEN 'ambiguous'
      ELSE 'none'
    END AS attribution,
    CASE
      WHEN a.is_ttl_expiry THEN 'ttl-expiry'
      WHEN a.op = 'r' THEN 'snapshot'
      WHEN a.op = 'g' THEN 'gap-record'
      WHEN a.exact_event IS NOT NULL THEN 'single-item-call'
      WHEN a.candidate_count > 0 THEN 'competing-candidates'
      WHEN a.item_key IS NULL OR a.event_time IS NULL THEN 'no-key-or-time'
      WHEN a.replica_calls > 0 THEN 'global-table-replica'
      WHEN a.transact_calls > 0 THEN 'transact-write-items'
      WHEN a.batch_calls > 0 THEN 'batch-write-item'
      WHEN a.partiql_calls > 0 THEN 'partiql'
      WHEN a.failed_conditions > 0 THEN 'conditional-check-failed'
      WHEN a.failed_calls > 0 THEN 'failed-call'
      WHEN NOT a.has_cloudtrail THEN 'cloudtrail-unavailable'
      ELSE 'no-cloudtrail-event'
    END AS attribution_reason
  FROM attributed a
)
SELECT
  a.event_time,
  a.account_id,
  a.table_name,
  a.item_key,
  a.event_name,
  a.attribution,
  t.useridentity.arn AS principal_arn,
  a.attribution_reason,
  t.useridentity.type AS principal_type,
  t.useridentity.sessioncontext.sessionissuer.arn AS session_issuer_arn,
  t.sourceipaddress AS source_ip,
  t.useragent AS user_agent,
  t.eventid AS cloudtrail_event_id,
  t.eventname AS cloudtrail_event_name,
  t.eventtime AS cloudtrail_event_time,
  coalesce(a.candidate_count, 0) AS candidate_count,
  a.actor,
  a.actor_source,
  a.region,
  a.dt,
  a.event_id,
  a.sequence_number,
  a.record_hash
FROM judged a
LEFT JOIN trail t ON t.eventid = a.exact_event
WHERE :principal = '*' OR t.useridentity.arn = :principal OR t.useridentity.sessioncontext.sessionissuer.arn = :principal
ORDER BY a.account_id, a.table_name, a.event_time, a.item_key, lpad(a.sequence_number, 40, '0')

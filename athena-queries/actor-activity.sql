-- actor-activity: everything one person, service or role changed: by the actor attribute or the CloudTrail caller.
-- Purpose: "What did this person or role change?" One row per change (duplicate deliveries removed
--   by event_id), oldest first, that :actor names in either of two ways, each row saying which
--   (matched_by: attribute, principal or both):
--   - attribute: the change's actor equals :actor. The actor comes from each source's configured
--     actor attribute (dynamodb.amazonaws.com for TTL expiries): DynamoDB Streams do not record the
--     caller, so it is whatever the application wrote.
--   - principal: the change is attributed exact to a CloudTrail caller (change-attribution's join,
--     below) and :actor is that caller's principal_arn (an assumed-role session, an IAM user, a
--     federated user, root), its session_issuer_arn (the role, or the user that issued a federated
--     session: every session of it), or a role ARN, with or without its path, or
--     arn:…:sts::ACCOUNT:assumed-role/ROLE without a session (every session of the role: IAM role
--     names are unique in an account). Only exact attributions match: an ambiguous change may
--     appear only through the attribute, and then says it is ambiguous.
--   Every row carries change-attribution's caller columns (principal_arn … attribution_reason), so
--   an attribute match shows who CloudTrail says made it. Where no CloudTrail input exists for a
--   change's account and region (no trail configured, data events off there, or no files under
--   cloudtrail/ locally) its attribution_reason is cloudtrail-unavailable, never a silent
--   "no principal"; such a change can still match by the attribute. docs/attribution.md.
-- Parameters:
--   :from   date  First day (dt, UTC), inclusive, yyyy-MM-dd.
--   :to     date  Last day (dt, UTC), inclusive, yyyy-MM-dd.
--   :actor  text  The actor exactly as recorded (e.g. alice@example.com), or a caller's IAM ARN exactly as CloudTrail writes it (e.g. arn:aws:iam::111122223333:role/orders-service).
--   :match_by  match_by?  Only the changes matched one way: attribute or principal; optional, '*' for either.
--   :include_heartbeat  boolean?  Include the heartbeat's rows (table ddb-audit-heartbeat): true or false, default false.
--                 They prove the pipeline runs every 5 minutes; they are not changes to your data.
-- Placeholders: each :name above is replaced by a quoted SQL literal before the query runs
--   (`ddb-audit query` validates and substitutes them; in the Athena console replace them by
--   hand, e.g. :from -> '2026-03-01'). A parameter marked "optional" takes '*' for "all".
-- Partition predicate: dt BETWEEN :from AND :to (every account and table: scans all of those days); table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat
--   cloudtrail_events: log_date from the day before :from to the day after :to, every account.
--   Every change of those days is attributed, not only :actor's: a caller's change can carry any
--   actor, and exact needs to know that no other change of the item claims the call.
-- The join (CTEs scoped … judged: candidates, attribution and attribution_reason) is
--   change-attribution.sql's, less its account, table and item filters;
--   test/unit/actor-activity-join.unit.test.ts keeps the two the same. Its rule, window and
--   reasons (snapshot, gap-record, cloudtrail-unavailable among them): change-attribution.sql's header.
WITH scoped AS (
  -- change_key: event_id, or record_hash for error records that have no event_id
  SELECT *, coalesce(event_id, record_hash) AS change_key
  FROM audit_changes
  WHERE dt BETWEEN :from AND :to
    AND (:include_heartbeat = 'true' OR table_name <> 'ddb-audit-heartbeat')
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
),
caller AS (
  -- When :actor is a role (arn:P:iam::A:role/[PATH/]NAME, or arn:P:sts::A:assumed-role/NAME with
  -- no session), the prefix of its sessions' ARNs: arn:P:sts::A:assumed-role/NAME/. A session ARN
  -- carries the role's name, not its path (AWS's userIdentity examples:
  -- https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html);
  -- IAM role names are unique within an account (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
  SELECT
    CASE
      WHEN regexp_like(:actor, '^arn:aws[a-z-]*:iam::[0-9]{12}:role/(?:[^/]+/)*[^/]+$')
        THEN concat('arn:', regexp_extract(:actor, '^arn:(aws[a-z-]*):', 1), ':sts::', regexp_extract(:actor, ':iam::([0-9]{12}):', 1), ':assumed-role/', regexp_extract(:actor, '/([^/]+)$', 1), '/')
      WHEN regexp_like(:actor, '^arn:aws[a-z-]*:sts::[0-9]{12}:assumed-role/[^/]+/?$')
        THEN concat(regexp_replace(:actor, '/$', ''), '/')
    END AS role_sessions
),
activity AS (
  SELECT
    a.*,
    t.useridentity.arn AS principal_arn,
    t.useridentity.type AS principal_type,
    t.useridentity.sessioncontext.sessionissuer.arn AS session_issuer_arn,
    t.sourceipaddress AS source_ip,
    t.useragent AS user_agent,
    t.eventid AS cloudtrail_event_id,
    t.eventname AS cloudtrail_event_name,
    t.eventtime AS cloudtrail_event_time
  FROM judged a
  LEFT JOIN trail t ON t.eventid = a.exact_event
),
matched AS (
  SELECT
    x.*,
    coalesce(x.actor = :actor, false) AS by_attribute,
    -- Only an exact attribution names a caller: an ambiguous one never matches here. A snapshot
    -- (op r) or a gap record (op g) is never exact: the join does not take them as candidates.
    coalesce(x.attribution = 'exact' AND (x.principal_arn = :actor OR x.session_issuer_arn = :actor OR strpos(x.principal_arn, c.role_sessions) = 1), false) AS by_principal
  FROM activity x
  CROSS JOIN caller c
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
  event_id,
  actor,
  CASE WHEN by_attribute AND by_principal THEN 'both' WHEN by_attribute THEN 'attribute' ELSE 'principal' END AS matched_by,
  attribution,
  attribution_reason,
  principal_arn,
  principal_type,
  session_issuer_arn,
  source_ip,
  user_agent,
  cloudtrail_event_id,
  cloudtrail_event_name,
  cloudtrail_event_time,
  coalesce(candidate_count, 0) AS candidate_count,
  region
FROM matched
WHERE (by_attribute AND :match_by <> 'principal') OR (by_principal AND :match_by <> 'attribute')
ORDER BY event_time, account_id, table_name, item_key, lpad(sequence_number, 40, '0')

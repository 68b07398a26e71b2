/**
 * Every onboarded source's stream is ENABLED and carries the images the log needs.
 *
 * DescribeStream (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_DescribeStream.html)
 * returns StreamStatus ENABLING | ENABLED | DISABLING | DISABLED and StreamViewType KEYS_ONLY |
 * NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES (API_streams_StreamDescription.html). Limit: 1 keeps
 * the reply to one shard, so a table with thousands of shards costs the same as any other.
 * A disabled (or re-enabled) stream never comes back: re-enabling gives the table a new stream ARN.
 *
 * The stream policy of a source grants DescribeStream to the collector role only, so a person's own
 * role in the audit account may be refused: those refusals are counted in one WARN line (the
 * mappings check still shows whether the collector reads the stream).
 */
import { DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams';
import { describeError, fatalError, isAccessDenied } from '../aws-errors';
import { mapBounded } from '../concurrency';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, CheckStatus, runbook, worst } from '../result';

type StreamVerdict = { readonly status: CheckStatus; readonly line?: CheckLine; readonly denied?: boolean };

async function checkStream(context: DoctorContext, streamArn: string): Promise<StreamVerdict> {
  const what = `stream ${streamArn}`;
  let status: string | undefined;
  let viewType: string | undefined;
  try {
    const reply = await context.clients.dynamodbStreams.send(new DescribeStreamCommand({ StreamArn: streamArn, Limit: 1 }));
    status = reply.StreamDescription?.StreamStatus;
    viewType = reply.StreamDescription?.StreamViewType;
  } catch (err) {
    const fatal = fatalError(err);
    if (fatal) throw fatal;
    if (isAccessDenied(err)) return { status: 'WARN', denied: true };
    if ((err as Error).name === 'ResourceNotFoundException') {
      return { status: 'FAIL', line: { status: 'FAIL', check: 'streams', what, detail: 'does not exist (the table or its stream was deleted, or the stream was replaced: a re-enabled stream has a new ARN)', fix: `put the table's current stream ARN in sources[].streamArn and cdk deploy --all; ${runbook('streams')}` } };
    }
    return { status: 'FAIL', line: { status: 'FAIL', check: 'streams', what, detail: `DescribeStream failed (${describeError(err)})`, fix: runbook('streams') } };
  }
  if (status !== 'ENABLED') {
    const fix = status === 'ENABLING' ? 'wait a minute and run doctor again' : `changes to this table are not being recorded: enable a NEW_AND_OLD_IMAGES stream, put its new ARN in sources[].streamArn, cdk deploy --all; ${runbook('streams')}`;
    return { status: status === 'ENABLING' ? 'WARN' : 'FAIL', line: { status: status === 'ENABLING' ? 'WARN' : 'FAIL', check: 'streams', what, detail: `is ${status ?? 'of unknown status'}`, fix } };
  }
  if (viewType === 'NEW_AND_OLD_IMAGES') return { status: 'PASS' };
  if (viewType === 'NEW_IMAGE' || viewType === 'OLD_IMAGE') {
    return { status: 'WARN', line: { status: 'WARN', check: 'streams', what, detail: `view type ${viewType}: the log records only ${viewType === 'NEW_IMAGE' ? 'the item after each change (no old values, no deleted item)' : 'the item before each change (no new values)'}`, fix: `switch the stream to NEW_AND_OLD_IMAGES (a new stream ARN: update sources[].streamArn, cdk deploy --all); ${runbook('streams')}` } };
  }
  return { status: 'FAIL', line: { status: 'FAIL', check: 'streams', what, detail: `view type ${viewType ?? 'unknown'}: the log gets keys only, no values and no actor`, fix: `switch the stream to NEW_AND_OLD_IMAGES (a new stream ARN: update sources[].streamArn, cdk deploy --all); ${runbook('streams')}` } };
}

export const streamsCheck: DoctorCheck = {
  id: 'streams',
  run: async (context: DoctorContext): Promise<CheckLine[]> => {
    const arns = context.config.sources.map((s) => s.streamArn);
    if (arns.length === 0) return [{ status: 'WARN', check: 'streams', what: 'onboarded streams', detail: 'the config onboards no sources: nothing is being recorded', fix: 'ddb-audit sources add --stream-arn ARN, then cdk deploy --all' }];
    const verdicts = await mapBounded(arns, context.concurrency, (arn) => checkStream(context, arn));
    const lines = verdicts.flatMap((v) => (v.line ? [v.line] : []));
    const denied = verdicts.filter((v) => v.denied).length;
    if (denied > 0) {
      lines.push({ status: 'WARN', check: 'streams', what: `${denied} of ${arns.length} streams`, detail: 'not checked: DescribeStream was refused (AccessDenied); the stream policies allow the collector role only', fix: `run doctor with a role the stream policies allow, or check in the source accounts; ${runbook('streams')}` });
    }
    const good = verdicts.filter((v) => v.status === 'PASS').length;
    const summary: CheckStatus = worst(verdicts.map((v) => v.status));
    lines.push({ status: summary, check: 'streams', what: `${good} of ${arns.length} streams ENABLED with NEW_AND_OLD_IMAGES`, ...(summary === 'PASS' ? {} : { detail: 'see the lines above' }) });
    return lines;
  },
};

/**
 * Where a deployed installation is: the CloudFormation outputs of the audit stack (DdbAuditCollector),
 * read either from CloudFormation (DescribeStacks) or from a file, for `ddb-audit doctor` and
 * `ddb-audit replay`. The keys are the contract in schemas/deployment.ts.
 *
 * Two file shapes are accepted, because those are the two a runbook has at hand:
 * - what `cdk deploy --outputs-file FILE` writes: `{"DdbAuditCollector": {"ChangeLogBucketName": "…", …}, …}`
 *   (one object per deployed stack, output key -> value;
 *   https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-deploy.html, --outputs-file);
 * - what `aws cloudformation describe-stacks --stack-name DdbAuditCollector` prints:
 *   `{"Stacks": [{"StackName": "…", "Outputs": [{"OutputKey": "…", "OutputValue": "…"}]}]}`
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html).
 */
import { DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { readFileSync } from 'node:fs';
import { AUDIT_STACK_OUTPUT } from '../../schemas/deployment';
import { GLUE_DATABASE_NAME, GLUE_TABLE_NAME } from '../../schemas/partitioning';
import { AUDIT_STACK_NAME } from '../../lib/stack-names';

/** Output key -> value of one stack. */
export type StackOutputs = Readonly<Record<string, string>>;

/** A file or reply that does not hold the audit stack's outputs; the message names the source and what is wrong. */
export class StackOutputsError extends Error {
  override name = 'StackOutputsError';
}

/** The audit stack's outputs from the text of a `cdk deploy --outputs-file` or `describe-stacks` JSON file. */
export function parseStackOutputsFile(text: string, source: string, stackName = AUDIT_STACK_NAME): StackOutputs {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StackOutputsError(`${source} is not JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new StackOutputsError(`${source}: expected a JSON object (cdk deploy --outputs-file, or aws cloudformation describe-stacks)`);
  const record = doc as Record<string, unknown>;
  if (Array.isArray(record.Stacks)) {
    const stacks = record.Stacks as unknown[];
    const stack = stacks.find((s) => (s as { StackName?: unknown } | null)?.StackName === stackName) as Stack | undefined;
    if (!stack) throw new StackOutputsError(`${source}: describe-stacks output has no stack ${stackName} (it has ${stackNames(stacks.map((s) => (s as { StackName?: unknown } | null)?.StackName))})`);
    return outputsOfStack(stack, source);
  }
  const outputs = record[stackName];
  if (outputs === undefined) throw new StackOutputsError(`${source}: no outputs of stack ${stackName} (it has ${stackNames(Object.keys(record))}); write them with cdk deploy --outputs-file ${source}`);
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) throw new StackOutputsError(`${source}: ${stackName} is not an object of output key to value`);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(outputs as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new StackOutputsError(`${source}: ${stackName}.${key} is not a string`);
    values[key] = value;
  }
  return values;
}

/** Reads and parses a stack-outputs file; a missing or unreadable file is an error naming it. */
export function readStackOutputsFile(path: string, shownAs: string = path, stackName = AUDIT_STACK_NAME): StackOutputs {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StackOutputsError(`cannot read ${shownAs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseStackOutputsFile(text, shownAs, stackName);
}

/** The outputs of a DescribeStacks stack (CloudFormation returns them as a list of key/value pairs). */
export function outputsOfStack(stack: Pick<Stack, 'Outputs' | 'StackName'>, source: string): StackOutputs {
  const values: Record<string, string> = {};
  for (const output of stack.Outputs ?? []) {
    if (typeof output?.OutputKey !== 'string') throw new StackOutputsError(`${source}: an output of ${stack.StackName ?? 'the stack'} has no OutputKey`);
    values[output.OutputKey] = output.OutputValue ?? '';
  }
  return values;
}

/**
 * The stack as CloudFormation describes it, or undefined when it does not exist. DescribeStacks
 * with a name that does not exist fails with a ValidationError "Stack with id NAME does not exist"
 * (it does not return an empty list), so that one error means "missing" and any other is thrown.
 * The API reference does not name this error; the server's reply is shown in
 * https://github.com/boto/boto3/issues/2807 (Code ValidationError, "Stack with id foo does not exist").
 */
export async function describeStack(cloudFormation: Pick<CloudFormationClient, 'send'>, stackName: string): Promise<Stack | undefined> {
  try {
    const reply = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    return reply.Stacks?.[0];
  } catch (err) {
    if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/** The audit stack's outputs from CloudFormation; a missing stack is an error saying so. */
export async function readStackOutputsFromCloudFormation(cloudFormation: Pick<CloudFormationClient, 'send'>, stackName = AUDIT_STACK_NAME): Promise<StackOutputs> {
  const stack = await describeStack(cloudFormation, stackName);
  if (!stack) throw new StackOutputsError(`stack ${stackName} does not exist in this account and region (deploy it, or check --region)`);
  return outputsOfStack(stack, `stack ${stackName}`);
}

/** What the runbook needs of a deployment, from the audit stack's outputs; undefined where an output is absent. */
export interface AuditDeployment {
  readonly changeLogBucket?: string;
  readonly failureBucket?: string;
  /** Always a list: the delivery stream output is comma-separated (several streams may share the load). */
  readonly deliveryStreams?: readonly string[];
  readonly athenaWorkgroup?: string;
  readonly glueTable?: { readonly database: string; readonly table: string };
  readonly digestKeyArn?: string;
  readonly alarmTopicArn?: string;
  readonly collectorFunction?: string;
  /** null when the heartbeat is disabled (the output is ""). */
  readonly heartbeatTable?: string | null;
}

/** The AUDIT_STACK_OUTPUT keys absent from `outputs`, in contract order. */
export function missingOutputKeys(outputs: StackOutputs): string[] {
  return Object.values(AUDIT_STACK_OUTPUT).filter((key) => !(key in outputs));
}

export function auditDeployment(outputs: StackOutputs): AuditDeployment {
  const get = (key: string): string | undefined => {
    const value = outputs[key];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const streams = get(AUDIT_STACK_OUTPUT.deliveryStreams)
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const glue = get(AUDIT_STACK_OUTPUT.glueTable);
  const dot = glue?.indexOf('.') ?? -1;
  const heartbeat = outputs[AUDIT_STACK_OUTPUT.heartbeatTable];
  return {
    changeLogBucket: get(AUDIT_STACK_OUTPUT.changeLogBucket),
    failureBucket: get(AUDIT_STACK_OUTPUT.failureBucket),
    deliveryStreams: streams && streams.length > 0 ? streams : undefined,
    athenaWorkgroup: get(AUDIT_STACK_OUTPUT.athenaWorkgroup),
    // "database.table"; a bare table name means the project's database.
    glueTable: glue === undefined ? undefined : dot > 0 ? { database: glue.slice(0, dot), table: glue.slice(dot + 1) } : { database: GLUE_DATABASE_NAME, table: glue },
    digestKeyArn: get(AUDIT_STACK_OUTPUT.digestKeyArn),
    alarmTopicArn: get(AUDIT_STACK_OUTPUT.alarmTopicArn),
    collectorFunction: get(AUDIT_STACK_OUTPUT.collectorFunction),
    heartbeatTable: heartbeat === undefined ? undefined : heartbeat.trim() === '' ? null : heartbeat.trim(),
  };
}

/** The project's own Glue table, for a deployment whose outputs predate the GlueTable output. */
export const DEFAULT_GLUE_TABLE = { database: GLUE_DATABASE_NAME, table: GLUE_TABLE_NAME } as const;

function stackNames(names: unknown[]): string {
  const shown = names.filter((n): n is string => typeof n === 'string');
  return shown.length === 0 ? 'none' : shown.join(', ');
}

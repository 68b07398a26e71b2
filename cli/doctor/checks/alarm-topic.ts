/**
 * The alarm topic's policy lets CloudWatch alarms and the failure-bucket rule publish.
 *
 * A topic policy that holds only a Deny (what `enforceSSL` writes) replaces SNS's default policy,
 * and then every alarm notification fails with "... is not authorized to perform: SNS:Publish".
 * CloudWatch publishes as the service principal cloudwatch.amazonaws.com, and an EventBridge rule
 * as events.amazonaws.com (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions).
 * The policy is the topic attribute "Policy" of GetTopicAttributes
 * (https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html).
 */
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import type { DoctorCheck, DoctorContext } from '../context';
import type { CheckLine } from '../result';
import { runbook } from '../result';
import { notChecked, onError } from './common';

interface PolicyStatement {
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  Condition?: unknown;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : []);

function allowsPublish(statement: PolicyStatement): boolean {
  if (statement.Effect !== 'Allow') return false;
  return list(statement.Action).some((a) => ['sns:publish', 'sns:*', '*'].includes(a.toLowerCase()));
}

function servicePrincipals(statement: PolicyStatement): string[] {
  const principal = statement.Principal as { Service?: unknown } | undefined;
  return principal && typeof principal === 'object' ? list(principal.Service) : [];
}

/** Statements of the topic policy allowing `service` to publish. */
export function publishGrants(policy: unknown, service: string): PolicyStatement[] {
  // A policy's Statement is a list, or a single statement object.
  const raw = (policy as { Statement?: unknown } | null)?.Statement;
  const all = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as PolicyStatement[];
  return all.filter((s) => s !== null && typeof s === 'object' && allowsPublish(s) && servicePrincipals(s).includes(service));
}

export const alarmTopicCheck: DoctorCheck = {
  id: 'alarm-topic',
  run: async ({ clients, state }: DoctorContext): Promise<CheckLine[]> => {
    const topic = state.deployment.alarmTopicArn;
    const what = 'alarm topic policy';
    if (topic === undefined) return [notChecked('alarm-topic', what, 'AlarmTopicArn')];
    let policy: unknown;
    try {
      const reply = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topic }));
      const text = reply.Attributes?.Policy;
      if (text === undefined) return [{ status: 'FAIL', check: 'alarm-topic', what, detail: `${topic} has no policy`, fix: runbook('alarm-topic') }];
      policy = JSON.parse(text);
    } catch (err) {
      return [onError('alarm-topic', what, err, 'sns:GetTopicAttributes')];
    }
    const fix = `deploy the current version of DdbAuditCollector, whose topic policy allows both; ${runbook('alarm-topic')}`;
    return [
      publishGrants(policy, 'cloudwatch.amazonaws.com').length > 0
        ? { status: 'PASS', check: 'alarm-topic', what: 'alarm topic lets CloudWatch alarms publish' }
        : { status: 'FAIL', check: 'alarm-topic', what: 'alarm topic lets CloudWatch alarms publish', detail: `no statement of ${topic}'s policy allows cloudwatch.amazonaws.com sns:Publish, so no alarm can notify anyone`, fix },
      publishGrants(policy, 'events.amazonaws.com').length > 0
        ? { status: 'PASS', check: 'alarm-topic', what: 'alarm topic lets the failure-bucket rule publish' }
        : { status: 'FAIL', check: 'alarm-topic', what: 'alarm topic lets the failure-bucket rule publish', detail: `no statement of ${topic}'s policy allows events.amazonaws.com sns:Publish, so a discarded batch raises no alert`, fix },
    ];
  },
};

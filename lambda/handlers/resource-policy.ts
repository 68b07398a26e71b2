/**
 * CloudFormation custom-resource provider in each source account: keeps one statement of ours in
 * a DynamoDB table's or stream's resource-based policy, merged with whatever else is there
 * (lambda/resource-policy/custom-resource.ts). CloudFormation invokes it directly (ServiceToken is
 * this function), so the handler also sends the response itself.
 *
 * Time budget (lambda/resource-policy/contract.ts): transient refusals are retried until
 * RETRY_BUDGET_MS has passed, or until RESPONSE_MARGIN_MS before the function's timeout, whichever
 * comes first, so a FAILED response always goes out before Lambda stops the function. The
 * construct sets the function timeout and the resource's ServiceTimeout above this budget
 * (lib/constructs/resource-policy-provider.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { sendResponse } from '../resource-policy/cfn-response';
import { CustomResourceResponse, handleResourcePolicyEvent } from '../resource-policy/custom-resource';
import type { ApplyOptions } from '../resource-policy/apply-statement';
import { RESPONSE_MARGIN_MS, RETRY_BUDGET_MS } from '../resource-policy/contract';
import { AllowedStatement, ALLOWED_STATEMENTS_ENV, parseAllowedStatements } from '../resource-policy/statement-bounds';

const SERVICE_NAME = 'ddb-audit-resource-policy';

export interface HandlerDependencies {
  readonly dynamodb: DynamoDBClient;
  /** The statements this provider may write (ALLOWED_STATEMENTS, set by the construct); read per request. */
  readonly allowed: () => readonly AllowedStatement[];
  readonly send: (responseUrl: string, response: CustomResourceResponse) => Promise<void>;
  readonly now?: () => number;
  readonly sleep?: ApplyOptions['sleep'];
  readonly random?: () => number;
  readonly logger?: ApplyOptions['logger'];
}

/** The handler with its dependencies given, for tests; `handler` below is it with the real ones. */
export function createHandler(deps: HandlerDependencies) {
  return async (event: CloudFormationCustomResourceEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<CustomResourceResponse> => {
    const now = deps.now ?? Date.now;
    const deadlineMs = now() + Math.min(RETRY_BUDGET_MS, context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS);
    const response = await handleResourcePolicyEvent(event, { dynamodb: deps.dynamodb, deadlineMs, now: deps.now, sleep: deps.sleep, random: deps.random, logger: deps.logger }, deps.allowed);
    const log = { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, physicalResourceId: response.PhysicalResourceId, status: response.Status, reason: response.Reason, data: response.Data };
    if (response.Status === 'FAILED') deps.logger?.error('resource policy statement not applied', log);
    else deps.logger?.info('resource policy statement applied', log);
    await deps.send(event.ResponseURL, response);
    return response;
  };
}

const logger = new Logger({ serviceName: SERVICE_NAME });
const dynamodb = new DynamoDBClient({});

export const handler = createHandler({ dynamodb, allowed: () => parseAllowedStatements(process.env[ALLOWED_STATEMENTS_ENV]), send: sendResponse, logger });

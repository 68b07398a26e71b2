/** What every doctor check is given: the clients, the config, the deployment as found, and the clock. */
import type { Stack } from '@aws-sdk/client-cloudformation';
import type { AuditConfig } from '../../schemas/audit-config';
import type { AuditDeployment, StackOutputs } from '../deployment/stack-outputs';
import type { DoctorClients } from './clients';
import type { CheckLine } from './result';

export interface DeploymentState {
  /** Each stack doctor looks for, as DescribeStacks returned it (undefined: it does not exist). */
  readonly stacks: ReadonlyMap<string, Stack | undefined>;
  /** The audit stack's outputs: from --stack-outputs FILE when given, else from DescribeStacks. */
  readonly outputs: StackOutputs | undefined;
  /** Where the outputs came from, for messages ("stack DdbAuditCollector", "outputs.json"). */
  readonly outputsSource: string;
  readonly deployment: AuditDeployment;
}

export interface DoctorContext {
  readonly clients: DoctorClients;
  readonly config: AuditConfig;
  readonly state: DeploymentState;
  readonly now: Date;
  /** Per-source calls in flight at most. */
  readonly concurrency: number;
}

/** One check: an id (used to group its lines) and a function of the context. */
export interface DoctorCheck {
  readonly id: string;
  readonly run: (context: DoctorContext) => Promise<CheckLine[]>;
}

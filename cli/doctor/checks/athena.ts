/**
 * The Athena workgroup exists, is enabled, enforces its configuration (so a client cannot send
 * results elsewhere or unencrypted) and encrypts its query results
 * (GetWorkGroup, https://docs.aws.amazon.com/athena/latest/APIReference/API_GetWorkGroup.html;
 * WorkGroupConfiguration.EnforceWorkGroupConfiguration and ResultConfiguration.EncryptionConfiguration,
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html).
 * A workgroup that does not exist is refused with InvalidRequestException.
 */
import { GetWorkGroupCommand } from '@aws-sdk/client-athena';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, runbook } from '../result';
import { notChecked, onError } from './common';

export const athenaCheck: DoctorCheck = {
  id: 'athena',
  run: async (context: DoctorContext): Promise<CheckLine[]> => {
    const name = context.state.deployment.athenaWorkgroup;
    if (name === undefined) return [notChecked('athena', 'Athena workgroup', 'AthenaWorkgroupName')];
    const what = `Athena workgroup ${name}`;
    let workgroup;
    try {
      workgroup = (await context.clients.athena.send(new GetWorkGroupCommand({ WorkGroup: name }))).WorkGroup;
    } catch (err) {
      if ((err as Error).name === 'InvalidRequestException' || (err as Error).name === 'ResourceNotFoundException') {
        return [{ status: 'FAIL', check: 'athena', what, detail: `does not exist (${(err as Error).message})`, fix: `cdk deploy DdbAuditCollector; ${runbook('athena')}` }];
      }
      return [onError('athena', what, err, 'athena:GetWorkGroup')];
    }
    if (!workgroup) return [{ status: 'FAIL', check: 'athena', what, detail: 'does not exist', fix: `cdk deploy DdbAuditCollector; ${runbook('athena')}` }];
    const problems: string[] = [];
    if (workgroup.State !== 'ENABLED') problems.push(`is ${workgroup.State ?? 'of unknown state'}, not ENABLED`);
    if (workgroup.Configuration?.EnforceWorkGroupConfiguration !== true) problems.push('does not enforce its configuration (clients may send results elsewhere, unencrypted)');
    const encryption = workgroup.Configuration?.ResultConfiguration?.EncryptionConfiguration?.EncryptionOption;
    if (encryption === undefined) problems.push('does not encrypt query results');
    if (problems.length > 0) return [{ status: 'FAIL', check: 'athena', what, detail: problems.join('; '), fix: `cdk deploy DdbAuditCollector restores it; ${runbook('athena')}` }];
    return [{ status: 'PASS', check: 'athena', what, detail: `ENABLED, configuration enforced, results encrypted (${encryption})` }];
  },
};

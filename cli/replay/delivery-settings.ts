/**
 * Where a replay delivers: the delivery stream, the overflow bucket and prefix, and the packing.
 *
 * Each setting comes from the first of, in order:
 *   1. its flag (--delivery-stream, --overflow-bucket, --overflow-prefix, --packing): what the
 *      person typed wins;
 *   2. the deployment's stack outputs (--stack-outputs FILE or --from-stack), when asked for:
 *      DeliveryStreamNames and ChangeLogBucketName (the collector writes overflow into the
 *      change-log bucket's overflow/ prefix);
 *   3. the collector's own environment variables (DELIVERY_STREAM_NAME, OVERFLOW_BUCKET,
 *      OVERFLOW_PREFIX, PACKING), so replay inside the collector's environment needs no flags.
 * The merged values then go through the collector's own reader (same names, same checks).
 * Pure: no I/O.
 */
import { readCollectorEnvironment } from '../../lambda/core/collector-environment';
import type { AuditDeployment } from '../deployment/stack-outputs';
import { AUDIT_STACK_OUTPUT } from '../../schemas/deployment';

export interface ReplayFlags {
  readonly deliveryStream?: string;
  readonly overflowBucket?: string;
  readonly overflowPrefix?: string;
  readonly packing?: string;
}

export interface ReplaySinkSettings {
  readonly deliveryStreamName: string;
  readonly overflowBucket: string;
  readonly overflowPrefix: string;
  readonly packing: 'ndjson' | 'single';
}

/** A setting that cannot be resolved; the message names the flag (and the variable, and the output) to set. */
export class ReplaySettingsError extends Error {
  override name = 'ReplaySettingsError';
}

const FLAG_OF_VARIABLE: Record<string, string> = {
  DELIVERY_STREAM_NAME: '--delivery-stream',
  OVERFLOW_BUCKET: '--overflow-bucket',
  PACKING: '--packing',
  OVERFLOW_PREFIX: '--overflow-prefix',
};

const OUTPUT_OF_VARIABLE: Record<string, string> = {
  DELIVERY_STREAM_NAME: AUDIT_STACK_OUTPUT.deliveryStreams,
  OVERFLOW_BUCKET: AUDIT_STACK_OUTPUT.changeLogBucket,
};

/**
 * @param deployment the stack outputs when --stack-outputs or --from-stack was given, else undefined
 * @param deploymentSource how to name where the outputs came from in an error (e.g. "outputs.json")
 */
export function replaySinkSettings(flags: ReplayFlags, env: NodeJS.ProcessEnv, deployment?: AuditDeployment, deploymentSource = 'the stack outputs'): ReplaySinkSettings {
  const fromDeployment: Record<string, string> = {};
  if (deployment !== undefined) {
    const streams = deployment.deliveryStreams ?? [];
    // Several delivery streams may share the load; a replay must name the one it re-delivers to.
    if (streams.length > 1 && flags.deliveryStream === undefined) {
      throw new ReplaySettingsError(`${deploymentSource} list ${streams.length} delivery streams (${streams.join(', ')}): choose one with --delivery-stream`);
    }
    if (streams.length === 1) fromDeployment.DELIVERY_STREAM_NAME = streams[0] as string;
    if (deployment.changeLogBucket !== undefined) fromDeployment.OVERFLOW_BUCKET = deployment.changeLogBucket;
  }
  const merged: NodeJS.ProcessEnv = {
    ...env,
    ...fromDeployment,
    ...(flags.deliveryStream !== undefined ? { DELIVERY_STREAM_NAME: flags.deliveryStream } : {}),
    ...(flags.packing !== undefined ? { PACKING: flags.packing } : {}),
    ...(flags.overflowBucket !== undefined ? { OVERFLOW_BUCKET: flags.overflowBucket } : {}),
    ...(flags.overflowPrefix !== undefined ? { OVERFLOW_PREFIX: flags.overflowPrefix } : {}),
    SOURCE_OPTIONS: undefined,
  };
  try {
    const config = readCollectorEnvironment(merged);
    return { deliveryStreamName: config.deliveryStreamName, overflowBucket: config.overflowBucket, overflowPrefix: config.overflowPrefix, packing: config.packing };
  } catch (err) {
    const message = (err as Error).message;
    const variable = /environment variable (\w+)/.exec(message)?.[1];
    if (variable === undefined) throw new ReplaySettingsError(message);
    const flag = FLAG_OF_VARIABLE[variable];
    let text = flag ? message.replace(`environment variable ${variable}`, `${flag} (or environment variable ${variable})`) : message;
    const output = OUTPUT_OF_VARIABLE[variable];
    if (output !== undefined && /is required but not set/.test(message)) {
      text += deployment === undefined ? `; or read it from the deployment with --from-stack or --stack-outputs FILE (output ${output})` : `; ${deploymentSource} have no ${output}`;
    }
    throw new ReplaySettingsError(text);
  }
}

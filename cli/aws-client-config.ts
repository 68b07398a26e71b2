/**
 * SDK client settings of the commands that call AWS: an endpoint from AWS_ENDPOINT_URL_<SERVICE>
 * or AWS_ENDPOINT_URL (the local pipeline's), and the region from --region, AWS_REGION or
 * AWS_DEFAULT_REGION (else the SDK's own chain, the profile's).
 */
export function clientConfig(env: NodeJS.ProcessEnv, service: 'FIREHOSE' | 'S3' | 'CLOUDFORMATION' | 'GLUE' | 'ATHENA', regionFlag?: string): { endpoint?: string; region?: string; forcePathStyle?: boolean } {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const region = regionFlag ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    // A custom S3 endpoint (the local pipeline's) serves buckets by path, as in the collector.
    ...(service === 'S3' && endpoint ? { forcePathStyle: true } : {}),
  };
}

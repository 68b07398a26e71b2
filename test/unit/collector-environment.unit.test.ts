import { readCollectorEnvironment } from '../../lambda/core/collector-environment';

const BASE = { DELIVERY_STREAM_NAME: 'audit-changes', OVERFLOW_BUCKET: 'change-log' };

describe('readCollectorEnvironment', () => {
  it('reads the variables and applies defaults', () => {
    expect(readCollectorEnvironment({ ...BASE, SOURCE_OPTIONS: '{"arn:aws:dynamodb:eu-west-1:222222222222:table/Orders":{"actorAttribute":"updatedBy"}}' })).toEqual({
      deliveryStreamName: 'audit-changes',
      deliveryStreamNames: ['audit-changes'],
      overflowBucket: 'change-log',
      overflowPrefix: 'overflow/',
      packing: 'ndjson',
      sourceOptions: { 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders': { actorAttribute: 'updatedBy' } },
    });
  });

  it.each([
    [{ OVERFLOW_BUCKET: 'b' }, 'environment variable DELIVERY_STREAM_NAME is required but not set'],
    [{ DELIVERY_STREAM_NAME: 's' }, 'environment variable OVERFLOW_BUCKET is required but not set'],
    [{ ...BASE, PACKING: 'zip' }, 'environment variable PACKING must be "ndjson" or "single", got "zip"'],
    [{ ...BASE, OVERFLOW_PREFIX: 'overflow' }, 'environment variable OVERFLOW_PREFIX must end with "/", got "overflow"'],
    [{ ...BASE, SOURCE_OPTIONS: '{oops' }, 'SOURCE_OPTIONS is not valid JSON'],
    [{ ...BASE, SOURCE_OPTIONS: '[]' }, 'SOURCE_OPTIONS must be a JSON object keyed by table ARN'],
    [{ ...BASE, DELIVERY_STREAM_COUNT: '0' }, 'environment variable DELIVERY_STREAM_COUNT must be a positive integer, got "0"'],
    [{ ...BASE, DELIVERY_STREAM_COUNT: '2x' }, 'environment variable DELIVERY_STREAM_COUNT must be a positive integer, got "2x"'],
    [{ ...BASE, DELIVERY_STREAM_COUNT: '3' }, 'environment variable DELIVERY_STREAM_PREFIX is required when DELIVERY_STREAM_COUNT is 3'],
    [{ ...BASE, SOURCE_OPTIONS_FILE: '/nonexistent/ddb-audit/source-options.json' }, 'SOURCE_OPTIONS_FILE /nonexistent/ddb-audit/source-options.json cannot be read'],
    [{ ...BASE, SOURCE_OPTIONS_FILE: '/x.json', SOURCE_OPTIONS: '{}' }, 'environment variables SOURCE_OPTIONS and SOURCE_OPTIONS_FILE are both set: set one'],
  ])('fails the cold start naming what is wrong: %j', (env, message) => {
    expect(() => readCollectorEnvironment(env)).toThrow(message);
  });
});

describe('readCollectorEnvironment at organization scale', () => {
  it('names every delivery stream from three constant-size variables: stream 0 as deployed, stream i as PREFIX + i', () => {
    const config = readCollectorEnvironment({ ...BASE, DELIVERY_STREAM_PREFIX: 'ddb-audit-changes-', DELIVERY_STREAM_COUNT: '3' });
    expect(config.deliveryStreamNames).toEqual(['audit-changes', 'ddb-audit-changes-1', 'ddb-audit-changes-2']);
  });

  it('reads the per-source options from SOURCE_OPTIONS_FILE, and refuses a file that is not a JSON object', () => {
    const files: Record<string, string> = { '/opt/ok.json': '{"arn:aws:dynamodb:eu-west-1:222222222222:table/Orders":{"redact":["ssn"]}}', '/opt/bad.json': '[1]' };
    const read = (path: string) => files[path] ?? '';
    expect(readCollectorEnvironment({ ...BASE, SOURCE_OPTIONS_FILE: '/opt/ok.json' }, read).sourceOptions).toEqual({ 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders': { redact: ['ssn'] } });
    expect(() => readCollectorEnvironment({ ...BASE, SOURCE_OPTIONS_FILE: '/opt/bad.json' }, read)).toThrow('SOURCE_OPTIONS_FILE /opt/bad.json must be a JSON object keyed by table ARN');
  });
});

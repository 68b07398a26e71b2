import { readCollectorEnvironment } from '../../lambda/core/collector-environment';

const BASE = { DELIVERY_STREAM_NAME: 'audit-changes', OVERFLOW_BUCKET: 'change-log' };

describe('readCollectorEnvironment', () => {
  it('reads the variables and applies defaults', () => {
    expect(readCollectorEnvironment({ ...BASE, SOURCE_OPTIONS: '{"arn:aws:dynamodb:eu-west-1:222222222222:table/Orders":{"actorAttribute":"updatedBy"}}' })).toEqual({
      deliveryStreamName: 'audit-changes',
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
  ])('fails the cold start naming what is wrong: %j', (env, message) => {
    expect(() => readCollectorEnvironment(env)).toThrow(message);
  });
});

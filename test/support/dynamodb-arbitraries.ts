/**
 * fast-check generators of DynamoDB AttributeValues and stream records, shaped as Lambda delivers
 * them (numbers as strings, binary as base64). Shared by the property tests and the fuzz tests.
 */
import fc from 'fast-check';

/** Decimal text DynamoDB could send: up to 38 significant digits, exponents within its range. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }).map(String),
  fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.stringMatching(/^\d{0,17}[1-9]$/)).map(([i, f]) => `${i}.${f}`),
  fc.tuple(fc.constantFrom('', '-'), fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^\d{0,20}$/), fc.integer({ min: -130, max: 125 })).map(
    ([sign, lead, rest, exp]) => `${sign}${lead}${rest ? `.${rest}` : ''}E${exp < 0 ? '' : '+'}${exp}`,
  ),
);

export const base64Text: fc.Arbitrary<string> = fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b).toString('base64'));

/** Any string, including quotes, backslashes, control characters, astral and lone-surrogate code units. */
export const anyString: fc.Arbitrary<string> = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ maxLength: 30 }), fc.constantFrom('', '"', '\\', '\u0000\u001f', '\ud800', 'é東🚀'));

const attributeName = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('pk', 'sk', 'a.b', '"q"', '東'));

export const attributeValue: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ av: Record<string, unknown> }>((tie) => ({
  av: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyString.map((S) => ({ S })),
    numberText.map((N) => ({ N })),
    fc.boolean().map((BOOL) => ({ BOOL })),
    fc.constant({ NULL: true }),
    base64Text.map((B) => ({ B })),
    fc.uniqueArray(anyString, { minLength: 1, maxLength: 5 }).map((SS) => ({ SS })),
    fc.uniqueArray(numberText, { minLength: 1, maxLength: 5 }).map((NS) => ({ NS })),
    fc.uniqueArray(base64Text, { minLength: 1, maxLength: 3 }).map((BS) => ({ BS })),
    fc.dictionary(attributeName, tie('av'), { maxKeys: 4 }).map((M) => ({ M })),
    fc.array(tie('av'), { maxLength: 4 }).map((L) => ({ L })),
  ),
})).av;

export const item: fc.Arbitrary<Record<string, Record<string, unknown>>> = fc.dictionary(attributeName, attributeValue, { minKeys: 1, maxKeys: 8 });

export const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz/stream/2026-01-01T00:00:00.000';

export interface StreamRecordParts {
  readonly eventName: string;
  readonly viewType: string;
  readonly keys: Record<string, unknown>;
  /** Images including the key attributes; each is left out where the operation or view type carries none. */
  readonly oldImage: Record<string, unknown>;
  readonly newImage: Record<string, unknown>;
  readonly seconds: number;
  readonly sequence: bigint;
  readonly id: string;
  readonly sizeBytes: number;
}

/** A stream record shaped as Lambda delivers it, with the images its operation and view type carry. */
export function buildStreamRecord({ eventName, viewType, keys, oldImage, newImage, seconds, sequence, id, sizeBytes }: StreamRecordParts) {
  const withNew = eventName !== 'REMOVE' && (viewType === 'NEW_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES');
  const withOld = eventName !== 'INSERT' && (viewType === 'OLD_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES');
  return {
    eventID: id,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      ApproximateCreationDateTime: seconds,
      Keys: keys,
      ...(withNew ? { NewImage: newImage } : {}),
      ...(withOld ? { OldImage: oldImage } : {}),
      SequenceNumber: sequence.toString(),
      SizeBytes: sizeBytes,
      StreamViewType: viewType,
    },
  };
}

/** A valid stream record of any operation and view type. */
export const streamRecord = fc
  .record({
    eventName: fc.constantFrom('INSERT', 'MODIFY', 'REMOVE'),
    viewType: fc.constantFrom('KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'),
    pk: anyString,
    oldImage: item,
    newImage: item,
    seconds: fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }),
    sequence: fc.bigInt({ min: 10n ** 20n, max: 10n ** 39n }),
    id: fc.uuid(),
  })
  .map(({ pk, oldImage, newImage, ...rest }) => {
    const keys = { pk: { S: pk } };
    return buildStreamRecord({ ...rest, keys, oldImage: { ...oldImage, ...keys }, newImage: { ...newImage, ...keys }, sizeBytes: 100 });
  });

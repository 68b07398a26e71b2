/**
 * fast-check generators of stream records the collector must survive: records the normalizer has
 * to refuse (each is built so that it is certainly invalid, and says why), valid records at the
 * edges (huge numbers, lone UTF-16 surrogates, awkward attribute names) and items up to
 * DynamoDB's 400 KB limit. Valid records come from ./dynamodb-arbitraries.ts.
 */
import fc from 'fast-check';
import { buildStreamRecord, streamRecord } from './dynamodb-arbitraries';

/** A generated stream record and whether the normalizer must accept it. */
export interface Labeled {
  readonly record: unknown;
  readonly valid: boolean;
  readonly how: string;
}

export const FUZZ_TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz';

type Rec = Record<string, any>;
const clone = (r: unknown): Rec => structuredClone(r) as Rec;

/** JSON values of the wrong shape for a field (never a valid value for any required one). */
// Numbers are negative (a positive one is a valid ApproximateCreationDateTime); maps are never empty
// (an empty map is valid Keys).
const wrongValue = fc.oneof(fc.integer({ min: -1e9, max: -1 }), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { minKeys: 1, maxKeys: 2 }));

const REQUIRED_PATHS = [['eventID'], ['eventName'], ['eventSourceARN'], ['dynamodb'], ['dynamodb', 'Keys'], ['dynamodb', 'SequenceNumber'], ['dynamodb', 'StreamViewType'], ['dynamodb', 'ApproximateCreationDateTime']] as const;

function setPath(record: Rec, path: readonly string[], value: unknown, remove = false): Rec {
  const out = clone(record);
  let target = out;
  for (const segment of path.slice(0, -1)) target = target[segment];
  const last = path[path.length - 1] as string;
  if (remove) delete target[last];
  else target[last] = value;
  return out;
}

const missingField: fc.Arbitrary<Labeled> = fc.tuple(streamRecord, fc.constantFrom(...REQUIRED_PATHS)).map(([r, path]) => ({ record: setPath(r, path, undefined, true), valid: false, how: `missing ${path.join('.')}` }));

const wrongType: fc.Arbitrary<Labeled> = fc.tuple(streamRecord, fc.constantFrom(...REQUIRED_PATHS), wrongValue).map(([r, path, value]) => ({ record: setPath(r, path, value), valid: false, how: `${path.join('.')} = ${JSON.stringify(value)}` }));

const wrongText: fc.Arbitrary<Labeled> = fc
  .tuple(
    streamRecord,
    fc.oneof(
      fc.constantFrom<[string[], string]>([['eventID'], ''], [['eventName'], 'UPSERT'], [['eventName'], 'insert'], [['dynamodb', 'StreamViewType'], 'NEW'], [['dynamodb', 'SequenceNumber'], '12a'], [['dynamodb', 'SequenceNumber'], '-1'], [['dynamodb', 'SequenceNumber'], '']),
      fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^\d{1,20}$/), fc.stringMatching(/^\d{41,64}$/)).filter((s) => !/^\d{21,40}$/.test(s)).map((s): [string[], string] => [['dynamodb', 'SequenceNumber'], s]),
    ),
  )
  .map(([r, [path, value]]) => ({ record: setPath(r, path, value), valid: false, how: `${path.join('.')} = ${JSON.stringify(value)}` }));

const badTime: fc.Arbitrary<Labeled> = fc
  .tuple(streamRecord, fc.constantFrom<unknown>(-1, 1e20, 'yesterday', '1772366400', null))
  .map(([r, t]) => ({ record: setPath(r, ['dynamodb', 'ApproximateCreationDateTime'], t), valid: false, how: `ApproximateCreationDateTime = ${JSON.stringify(t)}` }));

/** AttributeValues with an unknown or broken type tag. */
const badAttribute = fc.constantFrom<unknown>({ Q: '1' }, {}, { S: 1 }, { S: 'a', N: '1' }, { N: 'abc' }, { N: 'NaN' }, { N: '' }, { N: 1 }, { NULL: false }, { BOOL: 'true' }, { SS: 'a' }, { SS: [1] }, { NS: ['x'] }, { L: {} }, { M: [] }, { B: 5 }, null, 'text', [{ S: 'a' }]);

const unknownTag: fc.Arbitrary<Labeled> = fc
  .tuple(streamRecord, badAttribute, fc.constantFrom('Keys', 'both'))
  .map(([r, bad, where]) => {
    const out = clone(r);
    // Keys are always present, so a bad value there is always seen; images only where the view carries them.
    out.dynamodb.Keys = { ...out.dynamodb.Keys, broken: bad };
    if (where === 'both') {
      if (out.dynamodb.NewImage) out.dynamodb.NewImage.broken = bad;
      if (out.dynamodb.OldImage) out.dynamodb.OldImage.broken = bad;
    }
    return { record: out, valid: false, how: `attribute ${JSON.stringify(bad)}` };
  });

export function nested(depth: number, kind: 'M' | 'L'): unknown {
  let value: unknown = { S: 'bottom' };
  for (let i = 0; i < depth; i++) value = kind === 'M' ? { M: { a: value } } : { L: [value] };
  return value;
}

// Deeper than about 2,000 levels, JSON.stringify itself runs out of stack: see the fuzz test's own case.
const deepNesting: fc.Arbitrary<Labeled> = fc
  .tuple(streamRecord, fc.integer({ min: 33, max: 1000 }), fc.constantFrom<'M' | 'L'>('M', 'L'))
  .map(([r, depth, kind]) => ({ record: setPath(r, ['dynamodb', 'Keys', 'deep'], nested(depth, kind)), valid: false, how: `${kind} nested ${depth} deep` }));

const wrongArn: fc.Arbitrary<Labeled> = fc
  .tuple(
    streamRecord,
    fc.oneof(
      fc.constantFrom(
        'arn:aws:dynamodb:eu-west-1:12345:table/Fuzz/stream/2026-01-01T00:00:00.000',
        'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz',
        'arn:aws:kinesis:eu-west-1:012345678901:stream/Fuzz',
        'arn:aws:dynamodb:eu-west-1:012345678901:table//stream/x',
        'arn:aws:dynamodb::012345678901:table/Fuzz/stream/x',
        '',
      ),
      fc.string({ maxLength: 40 }),
    ),
  )
  .map(([r, arn]) => ({ record: { ...clone(r), eventSourceARN: arn }, valid: false, how: `eventSourceARN ${JSON.stringify(arn)}` }));

const notARecord: fc.Arbitrary<Labeled> = fc.constantFrom<unknown>(null, 42, 'INSERT', [], [{}], {}, true).map((record) => ({ record, valid: false, how: `record ${JSON.stringify(record)}` }));

/** Records the normalizer must refuse, each one certainly invalid. */
export const malformedRecord: fc.Arbitrary<Labeled> = fc.oneof(missingField, wrongType, wrongText, badTime, unknownTag, deepNesting, wrongArn, notARecord);

const hugeNumber = fc.oneof(
  fc.integer({ min: 39, max: 20_000 }).map((n) => '9'.repeat(n)),
  fc.constantFrom('1E+125', '-1.5E-130', '1e999999', '-0', '0.000000000000000000000000000000000000001', '+5', '.5', '007'),
);

/** Valid records with awkward content: huge numbers, lone surrogates, names that are JavaScript traps. */
export const edgeRecord: fc.Arbitrary<Labeled> = fc
  .tuple(streamRecord, hugeNumber, fc.constantFrom('\ud800', '\udfff', 'a\udc00b', '\u0000', '\u2028\u2029'), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', ''))
  .map(([r, n, text, name]) => {
    const out = clone(r);
    out.eventID = `${out.eventID}${text}`;
    const image = out.dynamodb.NewImage ?? out.dynamodb.OldImage;
    // Defined, not assigned: `image["__proto__"] = …` would set the prototype, not add an attribute,
    // while JSON.parse (how Lambda's runtime builds the event) makes it an ordinary attribute.
    if (image) {
      Object.defineProperty(image, 'huge', { value: { N: n }, enumerable: true, writable: true, configurable: true });
      Object.defineProperty(image, `${name}${text}`, { value: { S: text }, enumerable: true, writable: true, configurable: true });
      Object.defineProperty(image, name || 'empty', { value: { M: { [text]: { S: text } } }, enumerable: true, writable: true, configurable: true });
    }
    return { record: out, valid: true, how: `huge number ${n.slice(0, 12)}…, text ${JSON.stringify(text)}, name ${JSON.stringify(name)}` };
  });

/** Any record: valid, edge or malformed, labeled. */
export const anyRecord: fc.Arbitrary<Labeled> = fc.oneof(
  { weight: 3, arbitrary: streamRecord.map((record) => ({ record, valid: true, how: 'valid' })) },
  { weight: 1, arbitrary: edgeRecord },
  { weight: 3, arbitrary: malformedRecord },
);

export interface BigRecordShape {
  readonly eventName: string;
  readonly viewType: string;
  readonly size: number;
  readonly char: string;
  readonly id: string;
  readonly sequence: bigint;
}

export function makeBigRecord({ eventName, viewType, size, char, id, sequence }: BigRecordShape): Labeled {
  // Strings count their UTF-8 bytes toward the item size.
  const text = char.repeat(Math.max(1, Math.floor(size / Buffer.byteLength(char))));
  const keys = { pk: { S: id } };
  const image = (v: string) => ({ ...keys, body: { S: v === 'old' ? text : `${text.slice(0, -1)}${char === 'a' ? 'b' : 'a'}` }, version: { N: v === 'old' ? '1' : '2' } });
  const record = buildStreamRecord({ eventName, viewType, keys, oldImage: image('old'), newImage: image('new'), seconds: 1772366400, sequence, id, sizeBytes: size });
  return { record, valid: true, how: `${eventName} ${viewType} of ${size} bytes of ${JSON.stringify(char)}` };
}

/**
 * A valid record whose item is near DynamoDB's 400 KB limit, of every operation and view type.
 * Characters are chosen so the JSON grows past the size (control characters escape to six bytes),
 * which takes a MODIFY with two images over Firehose's 1,000 KB record limit: the overflow path.
 */
export const bigRecord: fc.Arbitrary<Labeled> = fc
  .record({
    eventName: fc.constantFrom('INSERT', 'MODIFY', 'REMOVE'),
    viewType: fc.constantFrom('KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'),
    size: fc.integer({ min: 1, max: 399_000 }),
    char: fc.constantFrom('a', 'é', '東', '\u0001', '"', '🚀'),
    id: fc.uuid(),
    sequence: fc.bigInt({ min: 10n ** 20n, max: 10n ** 39n }),
  })
  .map(makeBigRecord);

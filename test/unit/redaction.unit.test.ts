/**
 * Redaction (issue 12, High 2 and Medium 5): the redact-path syntax, fail-closed application,
 * everything derived from the redacted images (actor included), keys never redacted but reported,
 * and the config refusing what the collector would not apply.
 */
import fc from 'fast-check';
import { normalizeRecord } from '../../lambda/core/normalize';
import { formatRedactPath, parseRedactPath, RedactPathError, RedactStep } from '../../lambda/core/redact-path';
import { processBatch, BatchDependencies } from '../../lambda/core/process-batch';
import { METRIC, REDACT_PATH_ON_KEY_LOG_MESSAGE } from '../../lambda/core/telemetry';
import { findConfigProblems } from '../../lib/config/validate';
import { loadEvent } from '../events/load';
import { buildStreamRecord } from '../support/dynamodb-arbitraries';
import { RecordingS3, ScriptedFirehose } from '../support/scripted-firehose';

const PROCESSED_AT = '2026-11-26T00:00:00.000Z';
const TABLE = 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz';

function change(newImage: Record<string, unknown>, options: { redact?: string[]; actorAttribute?: string }, extra: { oldImage?: Record<string, unknown>; eventName?: string } = {}) {
  const keys = { pk: { S: 'item#1' } };
  const record = buildStreamRecord({
    eventName: extra.eventName ?? (extra.oldImage ? 'MODIFY' : 'INSERT'),
    viewType: 'NEW_AND_OLD_IMAGES',
    keys,
    oldImage: { ...(extra.oldImage ?? {}), ...keys },
    newImage: { ...newImage, ...keys },
    seconds: 1_772_452_800,
    sequence: 10n ** 25n,
    id: 'e-1',
    sizeBytes: 100,
  });
  return normalizeRecord(record, { processedAt: PROCESSED_AT, sourceOptions: { [TABLE]: options } });
}
const image = (text: string | null) => JSON.parse(text ?? 'null');

describe('redact-path syntax', () => {
  const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).map((n) => n);
  const steps: fc.Arbitrary<RedactStep[]> = fc
    .tuple(name, fc.array(fc.oneof(name.map((n) => ({ kind: 'name' as const, name: n })), fc.constant({ kind: 'each' as const })), { maxLength: 4 }))
    .map(([first, rest]) => [{ kind: 'name' as const, name: first }, ...rest]);

  it('parses what it formats, for any names (dots, brackets, stars, backslashes included)', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const text = formatRedactPath(s);
        expect(parseRedactPath(text).steps).toEqual(s);
        expect(formatRedactPath(parseRedactPath(text).steps)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['card.number', [['name', 'card'], ['name', 'number']]],
    ['cards[*].number', [['name', 'cards'], ['each'], ['name', 'number']]],
    ['matrix[*][*]', [['name', 'matrix'], ['each'], ['each']]],
    ['a\\.b', [['name', 'a.b']]],
    ['x\\*y.\\[0\\]\\\\', [['name', 'x*y'], ['name', '[0]\\']]],
  ])('reads %s', (text, expected) => {
    expect(parseRedactPath(text).steps.map((s) => (s.kind === 'each' ? ['each'] : ['name', s.name]))).toEqual(expected);
  });

  it.each([
    ['', 0, 'is empty'],
    ['a..b', 2, 'has an empty attribute name'],
    ['a.', 2, 'has an empty attribute name'],
    ['.a', 0, 'has an empty attribute name'],
    ['[*].a', 0, 'starts with a list step'],
    ['cards[0].number', 5, 'unsupported list step (only [*]'],
    ['cards[].number', 5, 'unsupported list step'],
    ['card.*', 5, 'wildcard "*"'],
    ['a*', 1, 'wildcard "*"'],
    ['a\\b', 1, 'unsupported escape "\\b"'],
    ['a\\', 1, 'incomplete escape'],
    ['a]b', 1, 'unmatched "]"'],
    ['a[*]b', 4, 'unexpected "b"'],
  ])('refuses %j at position %d', (text, position, reason) => {
    expect(() => parseRedactPath(text)).toThrow(RedactPathError);
    try {
      parseRedactPath(text);
    } catch (err) {
      expect((err as RedactPathError).position).toBe(position);
      expect((err as RedactPathError).message).toContain(reason);
      expect((err as RedactPathError).message).toContain(JSON.stringify(text));
    }
  });

  it('accepts exactly the texts it can format: any other text over its special characters is refused', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '.', '[', ']', '*', '\\', '0', '[*]'), { maxLength: 12 }).map((parts) => parts.join('')), (text) => {
        let parsed;
        try {
          parsed = parseRedactPath(text);
        } catch (err) {
          expect(err).toBeInstanceOf(RedactPathError);
          return;
        }
        expect(formatRedactPath(parsed.steps)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a valid path followed by any unsupported construct', () => {
    fc.assert(
      fc.property(steps, fc.constantFrom('[0]', '[', ']', '.*', '*', '\\x', '.', '[*', '\\', '..a', '[-1]'), (s, bad) => {
        expect(() => parseRedactPath(formatRedactPath(s) + bad)).toThrow(RedactPathError);
      }),
      { numRuns: 500 },
    );
  });
});

describe('fail-closed redaction', () => {
  const card = { M: { number: { S: '4111111111111111' }, name: { S: 'A' } } };

  it('redacts every element of a list with [*], and each element it cannot descend into whole', () => {
    const out = change({ cards: { L: [card, { S: 'raw-secret' }, card] } }, { redact: ['cards[*].number'] });
    expect(image(out.new_image).cards).toEqual([{ number: '[REDACTED]', name: 'A' }, '[REDACTED]', { number: '[REDACTED]', name: 'A' }]);
    expect(out.redacted_attributes).toEqual(['cards[*].number']);
  });

  it.each([
    ['a list', { L: [card] }],
    ['a string set', { SS: ['4111'] }],
    ['a number set', { NS: ['4111'] }],
    ['a binary set', { BS: ['NDExMQ=='] }],
    ['a string', { S: '4111' }],
    ['a number', { N: '4111' }],
    ['binary', { B: 'NDExMQ==' }],
  ])('redacts the whole value when a name step reaches %s', (_what, value) => {
    const out = change({ cards: value }, { redact: ['cards.number'] });
    expect(image(out.new_image).cards).toBe('[REDACTED]');
    expect(out.new_image).not.toContain('4111');
    expect(out.new_image).not.toContain('NDExMQ');
    expect(out.redacted_attributes).toEqual(['cards.number']);
  });

  it('redacts the whole value when [*] reaches a map or a set', () => {
    expect(image(change({ cards: card }, { redact: ['cards[*].number'] }).new_image).cards).toBe('[REDACTED]');
    expect(image(change({ cards: { SS: ['x'] } }, { redact: ['cards[*]'] }).new_image).cards).toBe('[REDACTED]');
  });

  it('reaches a name with a literal dot through the escape, and only that one', () => {
    const out = change({ 'a.b': { S: 'secret' }, a: { M: { b: { S: 'public' } } } }, { redact: ['a\\.b'] });
    expect(image(out.new_image)).toMatchObject({ 'a.b': '[REDACTED]', a: { b: 'public' } });
  });

  it('leaves an absent path alone and does not list it', () => {
    const out = change({ other: { S: 'x' } }, { redact: ['card.number', 'cards[*].number'] });
    expect(out.redacted_attributes).toEqual([]);
  });

  it('lists a redacted attribute that changed, but never its value', () => {
    const out = change({ ssn: { S: 'new-secret' } }, { redact: ['ssn'] }, { oldImage: { ssn: { S: 'old-secret' } } });
    expect(out.changed_attributes).toEqual(['ssn']);
    expect(JSON.stringify(out)).not.toMatch(/new-secret|old-secret/);
    const unchanged = change({ ssn: { S: 'same' } }, { redact: ['ssn'] }, { oldImage: { ssn: { S: 'same' } } });
    expect(unchanged.changed_attributes).toEqual([]);
  });
});

describe('actor after redaction', () => {
  const updatedBy = { M: { email: { S: 'alice@example.com' }, id: { S: 'u-1' } } };

  it('is [REDACTED] when the actor attribute holds a redacted path, and actor_source says so', () => {
    const out = change({ updatedBy }, { actorAttribute: 'updatedBy', redact: ['updatedBy.email'] });
    expect(out.actor).toBe('[REDACTED]');
    expect(out.actor_source).toBe('attribute:updatedBy:redacted');
    expect(JSON.stringify(out)).not.toContain('alice@example.com');
  });

  it('is [REDACTED] when the actor attribute itself is redacted, also on REMOVE (old image)', () => {
    const removed = change({}, { actorAttribute: 'updatedBy', redact: ['updatedBy'] }, { oldImage: { updatedBy: { S: 'alice@example.com' } }, eventName: 'REMOVE' });
    expect([removed.actor, removed.actor_source]).toEqual(['[REDACTED]', 'attribute:updatedBy:redacted']);
  });

  it('is the attribute value when no configured path applied to it', () => {
    const out = change({ updatedBy: { S: 'bob' } }, { actorAttribute: 'updatedBy', redact: ['card.number', 'updatedBy2'] });
    expect([out.actor, out.actor_source]).toEqual(['bob', 'attribute:updatedBy']);
  });
});

describe('no redacted value leaves the collector', () => {
  // Every leaf gets a unique token, so finding a token's text in the record means that leaf leaked.
  type Loc = (string | number | { member: number })[];
  interface Leaf {
    readonly loc: Loc;
    readonly text: string;
  }
  let counter = 0;
  const token = () => `Zz${(counter++).toString(36).padStart(6, '0')}q`;

  /** Rebuilds an arbitrary value with unique leaf values; returns the leaves with their locations. */
  function tokenize(value: any, loc: Loc, leaves: Leaf[]): any {
    const tag = Object.keys(value)[0] as string;
    const inner = value[tag];
    const leaf = (text: string, l: Loc = loc) => (leaves.push({ loc: l, text }), text);
    switch (tag) {
      case 'S':
        return { S: leaf(token()) };
      case 'N': {
        const digits = `7${String(counter++).padStart(30, '3')}7`;
        return { N: leaf(digits) };
      }
      case 'B': {
        const b64 = Buffer.from(token()).toString('base64');
        return { B: leaf(b64) };
      }
      case 'SS':
        return { SS: inner.map((_: unknown, i: number) => leaf(token(), [...loc, { member: i }])) };
      case 'NS':
        return { NS: inner.map((_: unknown, i: number) => leaf(`7${String(counter++).padStart(30, '5')}7`, [...loc, { member: i }])) };
      case 'BS':
        return { BS: inner.map((_: unknown, i: number) => leaf(Buffer.from(token()).toString('base64'), [...loc, { member: i }])) };
      case 'M':
        return { M: Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, tokenize(v, [...loc, k], leaves)])) };
      case 'L':
        return { L: inner.map((v: unknown, i: number) => tokenize(v, [...loc, i], leaves)) };
      default:
        return value; // BOOL, NULL: no text of their own
    }
  }

  /** The model of fail-closed coverage: is the leaf at `loc` inside what `path` redacts? */
  function covers(path: RedactStep[], loc: Loc): boolean {
    for (let i = 0; i < path.length; i++) {
      if (i >= loc.length) return true; // the path goes deeper than a scalar: the scalar is redacted whole
      const step = path[i] as RedactStep;
      const at = loc[i];
      if (step.kind === 'name' && typeof at === 'string') {
        if (step.name !== at) return false;
      } else if (step.kind === 'each' && typeof at === 'number') continue;
      else return i > 0; // cannot descend: the value reached so far is redacted whole
    }
    return true;
  }

  const names = fc.constantFrom('a', 'b', 'c.d', 'pk', 'updatedBy');
  const valueArb = fc.letrec<{ av: any }>((tie) => ({
    av: fc.oneof(
      { depthSize: 'small' },
      fc.constant({ S: '' }),
      fc.constant({ N: '1' }),
      fc.constant({ B: 'AA==' }),
      fc.constant({ BOOL: true }),
      fc.constant({ NULL: true }),
      fc.constant({ SS: ['x', 'y'] }),
      fc.constant({ NS: ['1', '2'] }),
      fc.constant({ BS: ['AA=='] }),
      fc.dictionary(names, tie('av'), { maxKeys: 3 }).map((M) => ({ M })),
      fc.array(tie('av'), { maxLength: 3 }).map((L) => ({ L })),
    ),
  })).av;
  const pathArb: fc.Arbitrary<RedactStep[]> = fc
    .tuple(names, fc.array(fc.oneof(names.map((name) => ({ kind: 'name' as const, name })), fc.constant({ kind: 'each' as const })), { maxLength: 3 }))
    .map(([first, rest]) => [{ kind: 'name' as const, name: first }, ...rest]);

  it('holds for random items, redact paths and actor attributes, in every field of the record', () => {
    fc.assert(
      fc.property(
        fc.dictionary(names, valueArb, { minKeys: 1, maxKeys: 5 }),
        fc.dictionary(names, valueArb, { maxKeys: 5 }),
        fc.array(pathArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(undefined, 'a', 'updatedBy', 'c.d'),
        fc.constantFrom('INSERT', 'MODIFY', 'REMOVE'),
        (rawNew, rawOld, paths, actorAttribute, eventName) => {
          const leaves: Leaf[] = [];
          const newImage = Object.fromEntries(Object.entries(rawNew).map(([k, v]) => [k, tokenize(v, [k], leaves)]));
          const oldImage = Object.fromEntries(Object.entries(rawOld).map(([k, v]) => [k, tokenize(v, [k], leaves)]));
          const keys = { pk: { S: token() } };
          const record = buildStreamRecord({ eventName, viewType: 'NEW_AND_OLD_IMAGES', keys, oldImage: { ...oldImage, ...keys }, newImage: { ...newImage, ...keys }, seconds: 1_772_452_800, sequence: 10n ** 25n, id: 'e-1', sizeBytes: 1 });
          const redact = paths.map(formatRedactPath);
          const out = normalizeRecord(record, { processedAt: PROCESSED_AT, sourceOptions: { [TABLE]: { redact, ...(actorAttribute ? { actorAttribute } : {}) } } });
          expect(out.normalization_error).toBeNull();
          const serialized = JSON.stringify(out);
          for (const leaf of leaves) {
            if (leaf.loc[0] === 'pk') continue; // keys are never redacted
            if (paths.some((p) => covers(p, leaf.loc))) expect(serialized).not.toContain(leaf.text);
          }
          // The key stays usable.
          expect(out.item_key).toBe(JSON.stringify({ pk: keys.pk.S }));
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('redact paths on key attributes', () => {
  it('are never applied: the key stays in keys, item_key and the images, and the path is reported', () => {
    const reported: [string, string][] = [];
    const record = loadEvent('aws-docs-sample').Records[0];
    const table = 'arn:aws:dynamodb:eu-west-1:222222222222:table/ExampleTableWithStream';
    const out = normalizeRecord(record, { processedAt: PROCESSED_AT, sourceOptions: { [table]: { redact: ['Id', 'Message'] } }, onRedactPathOnKeyAttribute: (t, p) => void reported.push([t, p]) });
    expect(reported).toEqual([[table, 'Id']]);
    expect(out.item_key).toBe('{"Id":101}');
    expect(image(out.new_image)).toEqual({ Message: '[REDACTED]', Id: 101 });
    expect(out.redacted_attributes).toEqual(['Message']);
  });

  it('are reported from error records too, and stay in their raw_record', () => {
    const reported: [string, string][] = [];
    const record = structuredClone(loadEvent('aws-docs-sample').Records[0]);
    record.dynamodb.NewImage.bad = { X: '1' };
    const table = 'arn:aws:dynamodb:eu-west-1:222222222222:table/ExampleTableWithStream';
    const out = normalizeRecord(record, { processedAt: PROCESSED_AT, sourceOptions: { [table]: { redact: ['Id', 'Message'] } }, onRedactPathOnKeyAttribute: (t, p) => void reported.push([t, p]) });
    expect(out.normalization_error).toContain('unknown type tag "X"');
    expect(reported).toEqual([[table, 'Id']]);
    expect(JSON.parse(out.raw_record as string).dynamodb.NewImage).toMatchObject({ Id: { N: '101' }, Message: { S: '[REDACTED]' } });
  });

  it('are logged with one constant message and counted in a metric by the collector, once per batch', async () => {
    const logs: { message: string; extra: Record<string, unknown> }[] = [];
    const metrics: Record<string, number> = {};
    const log = (message: string, ...extra: Record<string, unknown>[]) => void logs.push({ message, extra: extra[0] ?? {} });
    const deps: BatchDependencies = {
      clients: { firehose: new ScriptedFirehose(), s3: new RecordingS3() },
      sink: { deliveryStreamName: 'audit-changes', packing: 'single', overflowBucket: 'log', overflowPrefix: 'overflow/', maxRounds: 2, sleep: async () => {} },
      sourceOptions: { 'arn:aws:dynamodb:eu-west-1:222222222222:table/ExampleTableWithStream': { redact: ['Id'] } },
      logger: { debug: log, info: log, warn: log, error: log },
      metrics: { addMetric: (name, _unit, value) => void (metrics[name] = value) },
      now: () => new Date('2026-03-01T12:05:00.000Z'),
    };
    await processBatch(loadEvent('aws-docs-sample'), deps, () => 60_000);
    expect(logs.filter((l) => l.message === REDACT_PATH_ON_KEY_LOG_MESSAGE)).toEqual([
      { message: REDACT_PATH_ON_KEY_LOG_MESSAGE, extra: expect.objectContaining({ table_arn: 'arn:aws:dynamodb:eu-west-1:222222222222:table/ExampleTableWithStream', path: 'Id' }) },
    ]);
    expect(metrics[METRIC.redactPathsOnKeyAttributes]).toBe(1);
  });
});

describe('a redact path the collector cannot parse (a config that skipped validation)', () => {
  it('fails closed: an error record naming the path, with both images withheld from raw_record', () => {
    const out = change({ secret: { S: 'top-secret' } }, { redact: ['cards[0].number'] }, { oldImage: { secret: { S: 'old-secret' } } });
    expect(out.normalization_error).toBe('source config: redact path "cards[0].number" has an unsupported list step (only [*], every element, is supported) at position 5; the images are withheld');
    expect(JSON.stringify(out)).not.toMatch(/top-secret|old-secret/);
    expect(out.redacted_attributes).toEqual(['cards[0].number']);
    expect(out.item_key).toBeNull();
    expect(JSON.parse(out.raw_record as string).dynamodb.Keys).toEqual({ pk: { S: 'item#1' } });
  });
});

describe('config', () => {
  const base = {
    auditAccountId: '111111111111',
    region: 'eu-west-1',
    retention: { mode: 'GOVERNANCE', days: 30 },
    sources: [] as unknown[],
  };
  const ARN = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000';

  it('refuses every path syntax the collector does not apply, naming the path and the position', () => {
    expect(findConfigProblems({ ...base, sources: [{ streamArn: ARN, redact: ['ok.path', 'cards[0].n', 'a.*', 'x\\y'] }] })).toEqual([
      'sources[0].redact: "cards[0].n" has an unsupported list step (only [*], every element, is supported) at position 5',
      'sources[0].redact: "a.*" has a wildcard "*" in a name (only [*] over list elements is supported; escape a literal star as \\*) at position 2',
      'sources[0].redact: "x\\\\y" has an unsupported escape "\\y" (only \\. \\[ \\] \\\\ \\* are defined) at position 1',
    ]);
  });

  it('refuses a path on a key attribute when the key schema is recorded', () => {
    expect(findConfigProblems({ ...base, sources: [{ streamArn: ARN, keyAttributes: ['pk', 'sk'], redact: ['sk', 'card.number', 'pk.x'] }] })).toEqual([
      'sources[0].redact: "sk" names the key attribute "sk"; keys are never redacted (item_key must identify the item), so remove it',
      'sources[0].redact: "pk.x" names the key attribute "pk"; keys are never redacted (item_key must identify the item), so remove it',
    ]);
    expect(findConfigProblems({ ...base, sources: [{ streamArn: ARN, keyAttributes: ['pk'], redact: ['card.number', 'cards[*].number', 'a\\.b'] }] })).toEqual([]);
  });
});

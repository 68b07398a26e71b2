/**
 * Per-object Object Lock retention (lambda/retention): the pure core against a real-shaped S3
 * EventBridge "Object Created" event, and the S3 adapter. There is no local S3 peer that
 * implements Object Lock (GetObjectRetention / PutObjectRetention), so the adapter's SDK calls are
 * answered by aws-sdk-client-mock; the core's rules (never shorten, never weaken, idempotent) are
 * property-tested over generated retentions and times.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectRetentionCommand, PutObjectRetentionCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import {
  applyRetention,
  ObjectRetention,
  ObjectVersionRef,
  parseObjectCreatedMessage,
  plannedRetention,
  processRetentionBatch,
  RETENTION_FAILURE_LOG_MESSAGE,
  RetentionSettings,
  RetentionStore,
} from '../../lambda/retention/apply-retention';
import { readRetentionSettings, RETENTION_ENV } from '../../lambda/retention/environment';
import { s3RetentionStore } from '../../lambda/retention/s3-retention';

const DAY = 86_400_000;
const eventText = readFileSync(join(__dirname, '..', 'events', 's3-object-created-eventbridge.json'), 'utf8');
const event = JSON.parse(eventText);
const settings: RetentionSettings = { bucket: 'ddb-audit-change-log', mode: 'GOVERNANCE', days: 365, prefixes: ['changes/', 'overflow/', 'errors/', 'digests/'] };
const now = new Date('2026-12-01T10:00:05Z');

function withEvent(change: (e: any) => void): string {
  const copy = JSON.parse(eventText);
  change(copy);
  return JSON.stringify(copy);
}

/** An in-memory store of one object's retention that enforces what S3 enforces: no shortening, no weakening. */
function memoryStore(initial?: ObjectRetention): RetentionStore & { current?: ObjectRetention; puts: number } {
  const store = {
    current: initial,
    puts: 0,
    async getRetention() {
      return store.current;
    },
    async putRetention(_ref: ObjectVersionRef, retention: ObjectRetention) {
      const c = store.current;
      if (c && retention.retainUntil < c.retainUntil) throw new Error('shortened');
      if (c?.mode === 'COMPLIANCE' && retention.mode !== 'COMPLIANCE') throw new Error('weakened');
      store.current = retention;
      store.puts++;
    },
  };
  return store;
}

const silentLogger = () => {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  return { lines, info: (message: string, fields: Record<string, unknown>) => lines.push({ level: 'info', message, fields }), error: (message: string, fields: Record<string, unknown>) => lines.push({ level: 'error', message, fields }) };
};

describe('parseObjectCreatedMessage', () => {
  test('reads bucket, key, version and creation time from the EventBridge event S3 sends', () => {
    expect(parseObjectCreatedMessage(eventText, settings)).toEqual({
      bucket: 'ddb-audit-change-log',
      key: event.detail.object.key,
      versionId: event.detail.object['version-id'],
      createdAt: new Date('2026-12-01T10:00:00Z'),
    });
  });

  test.each([
    ['not JSON', '{', /^message body is not JSON/],
    ['an array', '[]', /^message body is not a JSON object$/],
    ['another event type', withEvent((e) => (e['detail-type'] = 'Object Deleted')), /is not an S3 "Object Created" event/],
    ['another bucket', withEvent((e) => (e.detail.bucket.name = 'elsewhere')), /event is for bucket "elsewhere", not the change-log bucket "ddb-audit-change-log"/],
    ['a key outside the retained prefixes', withEvent((e) => (e.detail.object.key = 'tmp/x')), /object key "tmp\/x" is outside the retained prefixes/],
    ['no key', withEvent((e) => delete e.detail.object.key), /no detail.bucket.name or detail.object.key/],
    ['a bad time', withEvent((e) => (e.time = 'yesterday')), /event time "yesterday" is not a timestamp/],
    ['an empty version id', withEvent((e) => (e.detail.object['version-id'] = '')), /malformed detail.object.version-id/],
  ])('refuses %s with a one-line reason', (_what, body, message) => {
    expect(() => parseObjectCreatedMessage(body, settings)).toThrow(message);
    try {
      parseObjectCreatedMessage(body, settings);
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });
});

describe('plannedRetention', () => {
  const ref = parseObjectCreatedMessage(eventText, settings);

  test('an object without retention gets the configured mode until now + days', () => {
    expect(plannedRetention(undefined, ref, settings, now)).toEqual({ mode: 'GOVERNANCE', retainUntil: new Date(now.getTime() + 365 * DAY) });
  });

  test('an object already retained long enough is left alone', () => {
    expect(plannedRetention({ mode: 'GOVERNANCE', retainUntil: new Date(ref.createdAt.getTime() + 365 * DAY) }, ref, settings, now)).toBeUndefined();
  });

  test('a COMPLIANCE config upgrades a GOVERNANCE retention, even one that is long enough', () => {
    const compliance = { ...settings, mode: 'COMPLIANCE' as const };
    const existing = { mode: 'GOVERNANCE' as const, retainUntil: new Date(now.getTime() + 400 * DAY) };
    expect(plannedRetention(existing, ref, compliance, now)).toEqual({ mode: 'COMPLIANCE', retainUntil: existing.retainUntil });
  });

  test('never shortens, never weakens, and a second application changes nothing (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.record({ mode: fc.constantFrom('GOVERNANCE' as const, 'COMPLIANCE' as const), offsetDays: fc.integer({ min: -100, max: 40000 }) }), { nil: undefined }),
        fc.constantFrom('GOVERNANCE' as const, 'COMPLIANCE' as const),
        fc.integer({ min: 1, max: 36500 }),
        fc.integer({ min: 0, max: 30 * DAY }),
        (existingSpec, mode, days, delayMs) => {
          const s = { ...settings, mode, days };
          const at = new Date(ref.createdAt.getTime() + delayMs);
          const existing = existingSpec && { mode: existingSpec.mode, retainUntil: new Date(ref.createdAt.getTime() + existingSpec.offsetDays * DAY) };
          const planned = plannedRetention(existing, ref, s, at);
          const after = planned ?? existing!;
          if (existing) {
            expect(after.retainUntil.getTime()).toBeGreaterThanOrEqual(existing.retainUntil.getTime());
            if (existing.mode === 'COMPLIANCE') expect(after.mode).toBe('COMPLIANCE');
          }
          // The result always satisfies the settings ...
          expect(after.retainUntil.getTime()).toBeGreaterThanOrEqual(ref.createdAt.getTime() + days * DAY);
          if (mode === 'COMPLIANCE') expect(after.mode).toBe('COMPLIANCE');
          // ... so applying again, at any later time, plans nothing.
          expect(plannedRetention(after, ref, s, new Date(at.getTime() + 1000))).toBeUndefined();
        },
      ),
    );
  });
});

describe('applyRetention', () => {
  const ref = parseObjectCreatedMessage(eventText, settings);

  test('sets retention once; a redelivered event changes nothing', async () => {
    const store = memoryStore();
    expect(await applyRetention(ref, settings, store, now)).toBe('set');
    expect(await applyRetention(ref, settings, store, new Date(now.getTime() + 60_000))).toBe('already-retained');
    expect(store.puts).toBe(1);
  });

  test('extends a shorter retention that a writer set', async () => {
    const store = memoryStore({ mode: 'GOVERNANCE', retainUntil: new Date(now.getTime() + DAY) });
    expect(await applyRetention(ref, settings, store, now)).toBe('extended');
    expect(store.current).toEqual({ mode: 'GOVERNANCE', retainUntil: new Date(now.getTime() + 365 * DAY) });
  });
});

describe('processRetentionBatch', () => {
  test('fails only the messages that could not be handled, and logs each with its reason', async () => {
    // Prepare: one good message, one malformed, one whose object S3 refuses.
    const refused = withEvent((e) => (e.detail.object.key = 'changes/refused.parquet'));
    const store: RetentionStore = {
      async getRetention() {
        return undefined;
      },
      async putRetention(r) {
        if (r.key === 'changes/refused.parquet') throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      },
    };
    const logger = silentLogger();
    // Act
    const result = await processRetentionBatch(
      [
        { messageId: 'good', body: eventText },
        { messageId: 'malformed', body: 'not json' },
        { messageId: 'refused', body: refused },
      ],
      { settings, store, logger, now: () => now },
    );
    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'malformed' }, { itemIdentifier: 'refused' }]);
    expect(result.outcomes).toEqual({ 'already-retained': 0, set: 1, extended: 0, failed: 2 });
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors.map((e) => [e.message, e.fields.messageId, e.fields.errorName])).toEqual([
      [RETENTION_FAILURE_LOG_MESSAGE, 'malformed', 'RetentionInputError'],
      [RETENTION_FAILURE_LOG_MESSAGE, 'refused', 'AccessDenied'],
    ]);
    expect(errors[1]!.fields.errorMessage).toBe('Access Denied');
  });

  test('an empty batch reports no failures and does nothing', async () => {
    const store = memoryStore();
    const result = await processRetentionBatch([], { settings, store, logger: silentLogger() });
    expect(result.batchItemFailures).toEqual([]);
    expect(store.puts).toBe(0);
  });
});

describe('s3RetentionStore (aws-sdk-client-mock: no local S3 peer implements Object Lock)', () => {
  const s3 = mockClient(S3Client);
  const ref = parseObjectCreatedMessage(eventText, settings);
  beforeEach(() => s3.reset());

  test('reads "no retention" from NoSuchObjectLockConfiguration and then puts retention on that exact version', async () => {
    s3.on(GetObjectRetentionCommand).rejects(new S3ServiceException({ name: 'NoSuchObjectLockConfiguration', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'The specified object does not have a ObjectLock configuration' }));
    s3.on(PutObjectRetentionCommand).resolves({});
    expect(await applyRetention(ref, settings, s3RetentionStore(new S3Client({ region: 'eu-west-1' })), now)).toBe('set');
    const put = s3.commandCalls(PutObjectRetentionCommand)[0]!.args[0].input;
    expect(put).toEqual({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(now.getTime() + 365 * DAY) } });
    expect(s3.commandCalls(GetObjectRetentionCommand)[0]!.args[0].input).toEqual({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId });
  });

  test('leaves an object with enough retention alone', async () => {
    s3.on(GetObjectRetentionCommand).resolves({ Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(now.getTime() + 400 * DAY) } });
    expect(await applyRetention(ref, settings, s3RetentionStore(new S3Client({ region: 'eu-west-1' })), now)).toBe('already-retained');
    expect(s3.commandCalls(PutObjectRetentionCommand)).toHaveLength(0);
  });

  test('passes any other S3 error on, so the message is retried', async () => {
    s3.on(GetObjectRetentionCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }));
    await expect(applyRetention(ref, settings, s3RetentionStore(new S3Client({ region: 'eu-west-1' })), now)).rejects.toThrow('Access Denied');
  });
});

describe('readRetentionSettings', () => {
  const env = { [RETENTION_ENV.bucket]: 'b', [RETENTION_ENV.mode]: 'COMPLIANCE', [RETENTION_ENV.days]: '30', [RETENTION_ENV.prefixes]: 'changes/,digests/' };

  test('reads every setting', () => {
    expect(readRetentionSettings(env)).toEqual({ bucket: 'b', mode: 'COMPLIANCE', days: 30, prefixes: ['changes/', 'digests/'] });
  });

  test.each([
    [{ [RETENTION_ENV.bucket]: undefined }, `environment variable ${RETENTION_ENV.bucket} is required but not set`],
    [{ [RETENTION_ENV.mode]: 'compliance' }, `environment variable ${RETENTION_ENV.mode} must be GOVERNANCE or COMPLIANCE, got "compliance"`],
    [{ [RETENTION_ENV.days]: '0' }, `environment variable ${RETENTION_ENV.days} must be a whole number of days from 1 to 36500, got "0"`],
    [{ [RETENTION_ENV.days]: '1.5' }, `environment variable ${RETENTION_ENV.days} must be a whole number of days from 1 to 36500, got "1.5"`],
    [{ [RETENTION_ENV.prefixes]: 'changes' }, `environment variable ${RETENTION_ENV.prefixes} must be comma-separated prefixes each ending in "/", got "changes"`],
  ])('refuses %j, naming the variable', (change, message) => {
    expect(() => readRetentionSettings({ ...env, ...change })).toThrow(message);
  });
});

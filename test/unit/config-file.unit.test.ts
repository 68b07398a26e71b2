/**
 * cli/config-file: the text-preserving insertion, the all-or-nothing write and the lock that
 * `ddb-audit sources add` uses on cdk.json (its 30-process run is in
 * test/integration/sources-concurrency.integration.test.ts).
 */
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAll, writeFileAtomic } from '../../cli/config-file/atomic-write';
import { acquireFileLock, LockTimeoutError } from '../../cli/config-file/file-lock';
import { insertIntoJsonArray, JsonEditError } from '../../cli/config-file/json-insert';
import { run } from '../../bin/commands/sources';
import { captureIo } from '../support/capture-io';

const REPO_CDK_JSON = join(__dirname, '..', '..', 'cdk.json');
const NEW_STREAM = 'arn:aws:dynamodb:eu-west-1:444444444444:table/Invoices/stream/2026-03-01T00:00:00.000';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ddb-audit-config-file-'));
}

/** `after` is `before` with one run of text inserted; returns that text (or throws). */
function insertedText(before: string, after: string): string {
  let prefix = 0;
  while (prefix < before.length && before[prefix] === after[prefix]) prefix++;
  const suffix = before.length - prefix;
  expect(after.slice(after.length - suffix)).toBe(before.slice(prefix));
  return after.slice(prefix, after.length - suffix);
}

describe('insertIntoJsonArray', () => {
  test('adds only the new entry to the example cdk.json: every other byte is kept', () => {
    const before = readFileSync(REPO_CDK_JSON, 'utf8');
    const after = insertIntoJsonArray(before, ['context', 'audit', 'sources'], { streamArn: NEW_STREAM, redact: ['iban', 'card.number'] });
    // Inserted right after the last entry's "}": in a line diff (git diff) that is three added lines.
    expect(insertedText(before, after)).toBe(`,\n        {\n          "streamArn": "${NEW_STREAM}",\n          "redact": ["iban", "card.number"]\n        }`);
    expect(JSON.parse(after).context.audit.sources.at(-1)).toEqual({ streamArn: NEW_STREAM, redact: ['iban', 'card.number'] });
  });

  test('keeps CRLF line ends, inline arrays inline, and fills an empty array or a missing key', () => {
    expect(insertIntoJsonArray('{\r\n  "a": [\r\n    1\r\n  ]\r\n}\r\n', ['a'], { b: 2 })).toBe('{\r\n  "a": [\r\n    1,\r\n    {\r\n      "b": 2\r\n    }\r\n  ]\r\n}\r\n');
    expect(insertIntoJsonArray('{"a": [1, 2]}', ['a'], 3)).toBe('{"a": [1, 2, 3]}');
    expect(insertIntoJsonArray('{\n  "a": []\n}', ['a'], 'x')).toBe('{\n  "a": [\n    "x"\n  ]\n}');
    expect(insertIntoJsonArray('{\n  "b": 1\n}', ['a'], 'x')).toBe('{\n  "b": 1,\n  "a": ["x"]\n}');
  });

  test('edits the last of duplicate keys, as JSON.parse reads it', () => {
    const after = insertIntoJsonArray('{"a": [1], "a": [2]}', ['a'], 3);
    expect(JSON.parse(after)).toEqual({ a: [2, 3] });
  });

  test('refuses a path that is not an array, naming it', () => {
    expect(() => insertIntoJsonArray('{"context": {"audit": {"sources": 5}}}', ['context', 'audit', 'sources'], 1)).toThrow(new JsonEditError('"context.audit.sources" is not an array'));
    expect(() => insertIntoJsonArray('{"context": 1}', ['context', 'audit', 'sources'], 1)).toThrow(JsonEditError);
  });

  test('property: for any JSON layout, the result parses to the document plus the element, and the old text is kept around one insertion', () => {
    const layout = fc.record({ space: fc.constantFrom('', ' ', '  ', '\t'), newline: fc.constantFrom('', '\n', '\r\n') });
    const json = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(fc.array(json, { maxLength: 5 }), fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 4 }), json, layout, (items, siblings, element, { space, newline }) => {
        const doc = { ...siblings, context: { other: siblings, audit: { sources: items } } };
        let text = JSON.stringify(doc, null, space);
        if (newline === '\r\n') text = text.replace(/\n/g, '\r\n');
        const after = insertIntoJsonArray(text, ['context', 'audit', 'sources'], element);
        const expected = JSON.parse(text);
        expected.context.audit.sources.push(JSON.parse(JSON.stringify(element)));
        expect(JSON.parse(after)).toEqual(expected);
        insertedText(text, after);
      }),
      { numRuns: 300 },
    );
  });
});

describe('writeFileAtomic', () => {
  test('replaces the file and leaves no temporary file', () => {
    const dir = tempDir();
    const path = join(dir, 'cdk.json');
    writeFileSync(path, 'old');
    writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['cdk.json']);
  });

  test('a failure midway (a full disk) leaves the original file intact and no temporary file', () => {
    const dir = tempDir();
    const path = join(dir, 'cdk.json');
    const original = readFileSync(REPO_CDK_JSON, 'utf8');
    writeFileSync(path, original);
    const halfThenFull = (fd: number, data: Buffer): void => {
      writeAll(fd, data.subarray(0, data.length >> 1));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    expect(() => writeFileAtomic(path, `${original}\n{"more": true}`, { writer: halfThenFull })).toThrow(/ENOSPC/);
    expect(readFileSync(path, 'utf8')).toBe(original);
    expect(readdirSync(dir)).toEqual(['cdk.json']);
  });
});

describe('sources add through a failing writer', () => {
  test('refuses, exit 2, with cdk.json byte-identical, no temporary file and no lock left', async () => {
    const dir = tempDir();
    const path = join(dir, 'cdk.json');
    const original = readFileSync(REPO_CDK_JSON, 'utf8');
    writeFileSync(path, original);
    const io = captureIo();
    const failing = (fd: number, data: Buffer): void => {
      writeAll(fd, data.subarray(0, 100));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };

    const code = await run(['add', '--stream-arn', NEW_STREAM, '--cdk-json', path], io, { writer: failing });

    expect(code).toBe(2);
    expect(io.err.join('')).toBe('ddb-audit sources add: ENOSPC: no space left on device, write\n');
    expect(readFileSync(path, 'utf8')).toBe(original);
    expect(readdirSync(dir)).toEqual(['cdk.json']);
  });
});

describe('acquireFileLock', () => {
  test('a second taker waits for the first, then gets the lock', async () => {
    const path = join(tempDir(), 'cdk.json');
    const first = await acquireFileLock(path);
    const order: string[] = [];
    const second = acquireFileLock(path).then((lock) => {
      order.push('second');
      return lock;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('first released');
    first.release();
    (await second).release();
    expect(order).toEqual(['first released', 'second']);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  test('breaks a lock whose process is gone, and one older than the stale age', async () => {
    const path = join(tempDir(), 'cdk.json');
    // A pid far above Linux's pid_max: no such process.
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 2 ** 30, host: require('node:os').hostname(), token: 'dead', created: '2026-01-01T00:00:00Z' }));
    (await acquireFileLock(path, { waitMs: 1000 })).release();

    writeFileSync(`${path}.lock`, '');
    (await acquireFileLock(path, { waitMs: 1000, staleAfterMs: -1 })).release();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  test('times out on a live holder, naming it and the lock file', async () => {
    const path = join(tempDir(), 'cdk.json');
    const held = await acquireFileLock(path);
    await expect(acquireFileLock(path, { waitMs: 100 })).rejects.toThrow(LockTimeoutError);
    await expect(acquireFileLock(path, { waitMs: 100 })).rejects.toThrow(`is locked by process ${process.pid} on`);
    held.release();
  });

  test('a holder whose lock was broken as stale notices before writing', async () => {
    const path = join(tempDir(), 'cdk.json');
    const held = await acquireFileLock(path);
    const thief = await acquireFileLock(path, { staleAfterMs: -1 });
    expect(() => held.assertHeld()).toThrow(/lost the lock/);
    held.release();
    expect(existsSync(`${path}.lock`)).toBe(true);
    thief.release();
  });
});

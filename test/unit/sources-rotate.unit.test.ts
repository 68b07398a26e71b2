/** `ddb-audit sources rotate`, run in-process against temporary copies of the example cdk.json. */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { run } from '../../bin/commands/sources';
import { replaceStringInJsonArray } from '../../cli/config-file/json-insert';
import { findConfigProblems } from '../../lib/config/validate';
import { captureIo } from '../support/capture-io';

const REPO_CDK_JSON = join(__dirname, '..', '..', 'cdk.json');
const ORDERS_TABLE = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders';
const ORDERS_OLD = `${ORDERS_TABLE}/stream/2026-01-15T10:00:00.000`;
const ORDERS_NEW = `${ORDERS_TABLE}/stream/2026-03-02T08:00:00.000`;

function tempCdkJson(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ddb-audit-rotate-')), 'cdk.json');
  copyFileSync(REPO_CDK_JSON, path);
  return path;
}

async function sources(args: string[], deps = {}): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await run(args, io, deps);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

describe('sources rotate', () => {
  test('changes only the table\'s streamArn, byte for byte, and the result is a valid config', async () => {
    const path = tempCdkJson();
    const before = readFileSync(path, 'utf8');
    expect(before).toContain(ORDERS_OLD);

    const result = await sources(['rotate', '--table-arn', ORDERS_TABLE, '--stream-arn', ORDERS_NEW, '--cdk-json', path]);

    expect(result).toMatchObject({ code: 0, err: '' });
    const after = readFileSync(path, 'utf8');
    expect(after).toBe(before.replace(JSON.stringify(ORDERS_OLD), JSON.stringify(ORDERS_NEW)));
    expect(findConfigProblems(JSON.parse(after).context.audit)).toEqual([]);
  });

  test('prints the old and new ARN and the next steps: deploy the source and mapping stacks, then fill the gap', async () => {
    const { out } = await sources(['rotate', '--table-arn', ORDERS_TABLE, '--stream-arn', ORDERS_NEW, '--cdk-json', tempCdkJson()]);
    expect(out).toContain(`from ${ORDERS_OLD}`);
    expect(out).toContain(`to   ${ORDERS_NEW}`);
    expect(out).toContain('npx cdk deploy --exclusively DdbAuditSource-222222222222');
    expect(out).toContain('DdbAuditMappings');
    // The watch stack's source list holds the configured stream ARN: it must be deployed with the new one.
    expect(out).toContain('npx cdk deploy DdbAuditCollector DdbAuditWatch DdbAuditMappings-222222222222');
    expect(out).toContain('ddb-audit coverage');
    // ddb-audit backfill reads full exports only (docs/coverage.md): the steps offer no incremental export.
    expect(out).toContain("full export at or after the gap's end");
    expect(out).toContain('npx ddb-audit backfill --export EXPORT --key-attributes PK[,SK] --gap-id GAP_ID --data DIR');
    expect(out).not.toContain('incremental export');
    expect(out.indexOf('cdk deploy')).toBeLessThan(out.indexOf('ddb-audit coverage'));
  });

  test.each([
    [['--stream-arn', ORDERS_NEW], 'rotate needs --table-arn ARN'],
    [['--table-arn', ORDERS_TABLE], 'rotate needs --stream-arn NEW'],
    [['--table-arn', ORDERS_TABLE, '--stream-arn', 'not-an-arn'], '--stream-arn not-an-arn is not a stream ARN'],
    [['--table-arn', ORDERS_TABLE, '--stream-arn', 'arn:aws:dynamodb:eu-west-1:222222222222:table/Other/stream/x'], 'is a stream of arn:aws:dynamodb:eu-west-1:222222222222:table/Other, not of --table-arn'],
    [['--table-arn', 'arn:aws:dynamodb:eu-west-1:999999999999:table/Nope', '--stream-arn', 'arn:aws:dynamodb:eu-west-1:999999999999:table/Nope/stream/x'], 'table arn:aws:dynamodb:eu-west-1:999999999999:table/Nope is not onboarded'],
    [['--table-arn', ORDERS_TABLE, '--stream-arn', ORDERS_OLD], `sources[0] already reads ${ORDERS_OLD}; nothing changed`],
  ])('refuses %j with one line naming what is wrong, and leaves cdk.json untouched', async (args, message) => {
    const path = tempCdkJson();
    const before = readFileSync(path, 'utf8');
    const result = await sources(['rotate', ...args, '--cdk-json', path]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  test('a write that fails midway (a full disk) leaves the old cdk.json whole', async () => {
    const path = tempCdkJson();
    const before = readFileSync(path, 'utf8');
    const result = await sources(['rotate', '--table-arn', ORDERS_TABLE, '--stream-arn', ORDERS_NEW, '--cdk-json', path], {
      writer: (fd: number, data: Buffer) => {
        require('node:fs').writeSync(fd, data.subarray(0, 10));
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    });
    expect(result.code).toBe(2);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});

describe('replaceStringInJsonArray', () => {
  test('for any layout and value, changes exactly that value and parses to the intended document', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ streamArn: fc.string(), other: fc.string() }), { minLength: 1, maxLength: 5 }), fc.nat(), fc.string(), fc.constantFrom(0, 2, 4, '\t'), (entries, pick, value, indent) => {
        const index = pick % entries.length;
        const text = JSON.stringify({ context: { audit: { sources: entries } } }, null, indent);
        const edited = replaceStringInJsonArray(text, ['context', 'audit', 'sources'], index, 'streamArn', value);
        const expected = structuredClone(entries);
        expected[index]!.streamArn = value;
        return JSON.stringify(JSON.parse(edited).context.audit.sources) === JSON.stringify(expected);
      }),
    );
  });
});


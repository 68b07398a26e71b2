import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { main } from '../../bin/ddb-audit';
import { DAYS_PER_MONTH } from '../../cli/cost/model';
import { captureIo } from '../support/capture-io';

const ROOT = join(__dirname, '..', '..');

async function cost(args: string[]) {
  const io = captureIo({ cwd: ROOT });
  const code = await main(['cost', ...args], io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

describe('ddb-audit cost', () => {
  it('prints a table of line items with a total and the CloudTrail comparison, exit 0', async () => {
    const { code, out, err } = await cost([]);
    expect(code).toBe(0);
    expect(err).toBe('');
    for (const service of ['Lambda', 'Firehose', 'S3', 'Glue', 'KMS', 'CloudWatch', 'EventBridge', 'SQS', 'DynamoDB', 'Athena']) {
      expect(out).toMatch(new RegExp(`^${service} +`, 'm'));
    }
    expect(out).toMatch(/^ +Total +\$[\d,]+\.\d\d$/m);
    expect(out).toMatch(/^CloudTrail +data events for the same writes \(no images\) +3,041,667 events +\$0\.000001 +\$3\.04$/m);
  });

  it('prints one JSON object with each line item, its quantity, unit price and monthly cost, and the total', async () => {
    const { code, out } = await cost(['--json', '--changes-per-day', '50000']);
    expect(code).toBe(0);
    const estimate = JSON.parse(out);
    expect(estimate.inputs.changesPerDay).toBe(50_000);
    expect(estimate.lines.length).toBeGreaterThan(20);
    for (const line of estimate.lines) {
      expect(line).toEqual(expect.objectContaining({ service: expect.any(String), item: expect.any(String), quantity: expect.any(Number), unitPriceUsd: expect.any(Number), monthlyUsd: expect.any(Number) }));
    }
    const sum = estimate.lines.reduce((s: number, l: { monthlyUsd: number }) => s + l.monthlyUsd, 0);
    expect(estimate.totalUsd).toBeCloseTo(sum, 9);
    expect(estimate.cloudTrail.monthlyUsd).toBeCloseTo((50_000 * DAYS_PER_MONTH) / 100_000 * 0.1, 9);
  });

  it('reads --changes-per-month as the same rate as --changes-per-day', async () => {
    const perMonth = JSON.parse((await cost(['--json', '--changes-per-month', String(30_000 * DAYS_PER_MONTH)])).out);
    const perDay = JSON.parse((await cost(['--json', '--changes-per-day', '30000'])).out);
    expect(perMonth.totalUsd).toBeCloseTo(perDay.totalUsd, 6);
  });

  it('leaves out the heartbeat with --no-heartbeat: no PutItem, no heartbeat source', async () => {
    const withIt = JSON.parse((await cost(['--json', '--tables', '249'])).out);
    const without = JSON.parse((await cost(['--json', '--tables', '249', '--no-heartbeat'])).out);
    const putItems = (e: { lines: { service: string; quantity: number }[] }) => e.lines.find((l) => l.service === 'DynamoDB')!.quantity;
    expect(putItems(withIt)).toBe(8_760);
    expect(putItems(without)).toBe(0);
    expect(without.totalUsd).toBeLessThan(withIt.totalUsd);
  });

  it('accepts thousands separators in numbers', async () => {
    const plain = JSON.parse((await cost(['--json', '--tables', '1000'])).out);
    const separated = JSON.parse((await cost(['--json', '--tables', '1,000'])).out);
    expect(separated.inputs.tables).toBe(1_000);
    expect(separated.totalUsd).toBe(plain.totalUsd);
  });

  it.each([
    [['--tables', 'ten'], 'ddb-audit cost: --tables "ten" is not a number (digits, optionally with a decimal point)'],
    [['--tables=-5'], 'ddb-audit cost: --tables "-5" is not a number (digits, optionally with a decimal point)'],
    [['--tables=1\n2'], 'ddb-audit cost: --tables "1\\x0a2" is not a number (digits, optionally with a decimal point)'],
    [['--change-bytes', '1e3'], 'ddb-audit cost: --change-bytes "1e3" is not a number (digits, optionally with a decimal point)'],
    [['--tables', '0'], 'ddb-audit cost: --tables must be a whole number from 1 to 1,000,000, got 0'],
    [['--tables', '2.5'], 'ddb-audit cost: --tables must be a whole number from 1 to 1,000,000, got 2.5'],
    [['--change-bytes', '2000000'], 'ddb-audit cost: --change-bytes must be a number from 1 to 1,000,000, got 2000000'],
    [['--buffer-interval-seconds', '30'], 'ddb-audit cost: --buffer-interval-seconds must be a whole number from 60 to 900, got 30'],
    [['--accounts', '20', '--tables', '10'], 'ddb-audit cost: --accounts (20) cannot exceed tables (10): every account has at least one source table'],
    [['--packing', 'gzip'], 'ddb-audit cost: --packing "gzip" is not ndjson or single'],
    [['--changes-per-day', '1', '--changes-per-month', '30'], 'ddb-audit cost: --changes-per-day and --changes-per-month are exclusive: give one rate'],
    [['--tabels', '10'], "ddb-audit cost: unknown option '--tabels' (did you mean --tables?)"],
    [['extra'], 'ddb-audit cost: unexpected argument "extra"'],
  ])('refuses %p with one line and exit 2, printing nothing on stdout', async (args, message) => {
    const { code, out, err } = await cost(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.startsWith(message)).toBe(true);
    expect(err.endsWith('\n')).toBe(true);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('refuses any value of a numeric option that is not plain digits with one line and exit 2 (property)', async () => {
    const options = ['--changes-per-day', '--changes-per-month', '--change-bytes', '--tables', '--retention-days', '--queries-per-day', '--bytes-scanned-per-query', '--batch-size'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...options),
        fc.string().filter((s) => !/^[\d_,]+(\.\d+)?$/.test(s.replace(/[_,]/g, '')) || s.replace(/[_,]/g, '') === ''),
        async (option, value) => {
          const { code, out, err } = await cost([`${option}=${value}`]);
          return code === 2 && out === '' && err.startsWith('ddb-audit cost: ') && err.trimEnd().split('\n').length === 1;
        },
      ),
      { numRuns: 100 },
    );
  });

  it('prints its options with their defaults and an example on --help, exit 0', async () => {
    const { code, out } = await cost(['--help']);
    expect(code).toBe(0);
    const flat = out.replace(/\s+/g, ' ');
    expect(flat).toContain('--changes-per-day <n> changes to all source tables a day (or --changes-per-month) (default: 100000)');
    expect(flat).toContain('--change-bytes <n> average change record, 1 to 1000000 (default: 1500)');
    expect(out).toContain('$ npx ddb-audit cost --changes-per-month 100000000 --tables 500 --accounts 50');
  });

  it('runs as the installed command, exit 2 on a bad number', () => {
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin', 'ddb-audit.js'), 'cost', '--tables', 'x'], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('ddb-audit cost: --tables "x" is not a number (digits, optionally with a decimal point)\n');
  });
});

describe('docs/scale-and-cost.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'scale-and-cost.md'), 'utf8');
  // Each table in the doc sits under the comment naming the command that printed it.
  const blocks = [...doc.matchAll(/<!-- ddb-audit cost ([^>]*?) -->\n```text\n([\s\S]*?)```/g)].map((m) => ({ args: m[1]!.split(/\s+/).filter(Boolean), text: m[2]! }));

  it('shows the model for 1 million, 100 million and 10 billion changes a month', () => {
    const months = blocks.map((b) => b.args[b.args.indexOf('--changes-per-month') + 1]);
    expect(months).toEqual(['1000000', '100000000', '10000000000']);
  });

  it('lists only options the command accepts', async () => {
    const section = doc.slice(doc.indexOf('| Option | Default | Meaning |'), doc.indexOf('### Three sizes'));
    const options = [...new Set([...section.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]!))];
    expect(options.length).toBeGreaterThanOrEqual(14);
    for (const option of options) {
      const args = ['--json', '--no-heartbeat', '--packing', '--changes-per-month'].includes(option) ? (option === '--packing' ? [option, 'single'] : option === '--changes-per-month' ? [option, '1000'] : [option]) : [option, option.includes('interval') ? '120' : option.includes('mib') ? '64' : '5'];
      const { code, err } = await cost(args);
      expect({ option, code, err }).toEqual({ option, code: 0, err: '' });
    }
  });

  it.each([0, 1, 2])('table %d is exactly what the command prints for its inputs', async (index) => {
    const block = blocks[index]!;
    const { code, out } = await cost(block.args);
    expect(code).toBe(0);
    // On a mismatch: run `node bin/ddb-audit.js cost <args>` and paste its output into the doc.
    expect(block.text).toBe(out);
  });
});

/**
 * The cost estimate as text: a plain table (the same bytes on a terminal and in a pipe, so the doc
 * can hold the command's own output and a test can compare them) and a JSON object for machines.
 */
import { CostEstimate, fmtCount, LineItem } from './model';

/** Dollars with cents; below a cent, enough digits to show the amount. */
export function fmtUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (usd < 0.01) return `$${usd.toPrecision(2).replace(/0+$/, '')}`;
  const [whole, cents] = usd.toFixed(2).split('.') as [string, string];
  return `$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
}

/** A unit price: up to four significant digits, never in exponent notation. */
export function fmtUnitPrice(usd: number): string {
  if (usd === 0) return '$0';
  const digits = Math.max(2, 3 - Math.floor(Math.log10(usd)));
  return `$${usd.toFixed(Math.min(digits, 12)).replace(/(\.\d*?[1-9])0+$/, '$1').replace(/\.0+$/, '')}`;
}

/** A quantity: whole with separators at 100 and above, else with up to three significant digits. */
export function fmtQuantity(n: number): string {
  if (n === 0) return '0';
  if (n >= 100) return fmtCount(n);
  return String(+n.toPrecision(3));
}

function row(l: LineItem): string[] {
  return [l.service, l.item, `${fmtQuantity(l.quantity)} ${l.unit}`, fmtUnitPrice(l.unitPriceUsd), fmtUsd(l.monthlyUsd)];
}

export function renderTable(estimate: CostEstimate): string {
  const i = estimate.inputs;
  const header = ['Service', 'Line item', 'Quantity a month', 'Unit price', 'Monthly'];
  const body = estimate.lines.map(row);
  const total = ['', 'Total', '', '', fmtUsd(estimate.totalUsd)];
  const compare = row(estimate.cloudTrail);
  const rows = [header, ...body, total, compare];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const right = new Set([2, 3, 4]);
  const format = (r: string[]) =>
    r
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const d = estimate.derived;
  return [
    `ddb-audit cost: ${fmtCount(d.changesPerMonth)} changes a month (${fmtCount(i.changesPerDay)} a day) of ${fmtCount(i.changeBytes)} bytes, ` +
      `${fmtCount(i.tables)} table${i.tables === 1 ? '' : 's'} in ${fmtCount(i.accounts)} account${i.accounts === 1 ? '' : 's'}, ${fmtCount(i.retentionDays)} days retained, ` +
      `${fmtCount(i.queriesPerDay)} queries a day, packing ${i.packing}`,
    `prices: ${estimate.region}, read ${estimate.pricesRead} (cli/cost/prices.json); steady state at full retention; no free tier subtracted`,
    '',
    format(header),
    rule,
    ...body.map(format),
    rule,
    format(total),
    '',
    'Compared with CloudTrail data events for the same writes:',
    format(compare),
    '',
  ].join('\n');
}

export function renderJson(estimate: CostEstimate): string {
  return `${JSON.stringify(estimate, null, 2)}\n`;
}

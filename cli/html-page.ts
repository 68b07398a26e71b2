/**
 * What every page ddb-audit writes for a person shares (evidence export's report.html,
 * `coverage --html`): the escaping of untrusted values, the inert <head> and the base styles.
 *
 * Self-contained and inert. CSS is inline; there is no script, no font, no image and no link that
 * loads anything, and a Content-Security-Policy of `default-src 'none'` (only inline styles
 * allowed) makes the browser refuse any load or script even if a value slipped through: a page
 * opens the same way on an air-gapped auditor's laptop and cannot call home. CSP in a
 * <meta http-equiv> element is standard (https://www.w3.org/TR/CSP3/#meta-element).
 *
 * Every value that comes from the log, the config or the command line is untrusted (a table writer
 * chooses the actor, e.g. `<script>`; a table name or ARN comes from cdk.json or the log): it is
 * written only as HTML text through `val`, which first makes control, bidirectional-override and
 * line-separator characters visible (escapeForTerminal, so a value cannot reorder what the page
 * shows) and then escapes & < > " '. Values are never placed in a URL, a style or an unquoted
 * attribute; a page may put them in a quoted attribute only through `val`.
 */
import { escapeForTerminal } from './terminal-text';

/** HTML text for a value we did not write: controls made visible, then & < > " ' escaped. */
export function val(value: unknown): string {
  return html(escapeForTerminal(value === null || value === undefined ? '' : String(value)));
}

/** HTML-escapes text this tool wrote itself (SQL, commands; multi-line), keeping its newlines. */
export function html(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

/** A count as people read it: 10,000. */
export const fmt = (n: number): string => n.toLocaleString('en-US');

/** `<section id>` with an `<h2>`; empty strings in `body` are dropped. `id` and `heading` are the page's own text. */
export function section(id: string, heading: string, body: readonly string[]): string {
  return [`<section id="${id}">`, `<h2>${heading}</h2>`, ...body.filter((b) => b !== ''), '</section>'].join('\n');
}

/**
 * The whole page: the inert head (CSP, no referrer), the title as <title> and <h1 id="title">, then
 * the sections. `title` is escaped; `style` and `sections` are the page's own markup.
 */
export function renderPage(title: string, style: string, sections: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Nothing may load or run: only the inline <style> below. See the module comment.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${val(title)}</title>`,
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1 id="title">${val(title)}</h1>`,
    ...sections,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * The styles every page starts with. System fonts only: nothing is fetched. A page adds its own
 * rules and ends with PRINT_STYLE: `${BASE_STYLE}…${PRINT_STYLE}`.
 */
export const BASE_STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.meta, .note, figcaption { color: var(--muted); }
.note, figcaption { font-size: 13px; }
.lead { font-size: 17px; }
.empty { padding: 8px 12px; border-left: 4px solid #bf8700; background: #fff8c5; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: 8px 10px; white-space: pre-wrap; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { font-weight: 600; }
dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f6f8fa; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.more td { color: var(--muted); font-style: italic; }
`;

/** Printing on A4/Letter: no page padding, collapsed details shown. */
export const PRINT_STYLE = `@media print { main { padding: 0; } details { display: block; } }
`;

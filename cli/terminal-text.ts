/**
 * Text from the log (actors, keys, object keys, file names) printed for a person to read.
 *
 * A table writer controls those values, so printed raw they could move the cursor, clear the line
 * or repaint a verdict ("INTACT" over "TAMPERED"). Every report and table therefore prints them
 * through escapeForTerminal: C0 and C1 control characters, DEL, and the Unicode line and paragraph
 * separators and bidirectional overrides become visible escapes (`\x1b`, `\u202e`). Printable text,
 * including every non-Latin script, is unchanged. JSON and JSONL output keep exact values instead:
 * JSON.stringify already escapes C0 controls, and a program, not a person, reads them.
 */

// C0 controls (tab and newline included: one value must stay on one line), DEL, C1 controls,
// line/paragraph separators, bidi embeddings/overrides/isolates, and the BOM / zero-width no-break space.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escapeOne(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code === 0x5c) return '\\\\';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every character that could control a terminal shown as an escape; also escapes `\` so the result is unambiguous. */
export function escapeForTerminal(text: string): string {
  return text.replace(/[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, escapeOne);
}

/** True when `text` holds a character escapeForTerminal would change (other than a backslash). */
export function hasTerminalControl(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text);
}

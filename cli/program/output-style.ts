/**
 * How a command may decorate what it prints: colors and the table width.
 *
 * Output to a terminal may have colors and fit the terminal's width; output to a pipe or a file is
 * plain text, never an escape code, because a program (grep, a spreadsheet, a SIEM) reads it. Colors
 * also stay off when NO_COLOR is set to anything non-empty (https://no-color.org) or TERM is "dumb".
 */
import type { CommandIo } from './command-io';

export interface OutputStyle {
  /** True only for a terminal without NO_COLOR / TERM=dumb. */
  readonly color: boolean;
  /** The terminal's width in columns; undefined when not a terminal (then nothing is clipped to fit). */
  readonly width: number | undefined;
}

export function outputStyle(io: Pick<CommandIo, 'stdoutIsTTY' | 'columns' | 'env'>): OutputStyle {
  const tty = io.stdoutIsTTY === true;
  const noColor = (io.env.NO_COLOR ?? '') !== '' || io.env.TERM === 'dumb';
  return { color: tty && !noColor, width: tty && io.columns !== undefined && io.columns > 0 ? io.columns : undefined };
}

const SGR = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33' } as const;

/** `text` in an SGR style when colors are on; unchanged otherwise (and always unchanged when piped). */
export function paint(style: OutputStyle, how: keyof typeof SGR, text: string): string {
  return style.color ? `\u001b[${SGR[how]}m${text}\u001b[0m` : text;
}

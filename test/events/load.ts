/** Loads a real-shaped fixture event from test/events/. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadEvent(name: string): { Records: any[] } {
  return JSON.parse(readFileSync(join(__dirname, `${name}.json`), 'utf8'));
}

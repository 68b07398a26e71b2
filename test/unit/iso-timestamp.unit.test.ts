import fc from 'fast-check';
import { formatIsoMillis, parseIsoMillis } from '../../lambda/core/iso-timestamp';

// Instants from 1970 to the end of year 9999, visited in any order: the per-day shortcuts of both
// directions must never carry one day's part over to another.
const instants = fc.array(fc.integer({ min: 0, max: 253402300799999 }), { minLength: 1, maxLength: 8 });

describe('the collector timestamp spelling', () => {
  it('formats any instant as toISOString does', () => {
    fc.assert(
      fc.property(instants, (list) => {
        for (const ms of list) expect(formatIsoMillis(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 300 },
    );
  });

  it('reads back what it formats, as Date.parse does', () => {
    fc.assert(
      fc.property(instants, (list) => {
        for (const ms of list) expect(parseIsoMillis(formatIsoMillis(ms))).toBe(ms);
      }),
      { numRuns: 300 },
    );
  });

  it('reads other spellings through Date.parse, and says NaN for what is not a time', () => {
    for (const text of ['2026-03-01T12:00:00Z', '2026-03-01T24:00:00.000Z', '2026-03-01T12:00:00.5+02:00', '2026-13-01T00:00:00.000Z', 'not a time']) {
      expect(parseIsoMillis(text)).toEqual(Date.parse(text));
    }
    expect(parseIsoMillis('not a time')).toBeNaN();
  });
});

/** The bucket rule of report.html's change-volume chart (cli/evidence/change-volume.ts). */
import fc from 'fast-check';
import { changeVolume, HOURLY_MAX_DAYS, MAX_DAILY_POINTS } from '../../cli/evidence/change-volume';

const DAY = 86_400_000;
const at = (iso: string) => ({ event_time: iso });

describe('changeVolume', () => {
  test('one point per hour of the asked period when it is at most a week, zeros included', () => {
    const series = changeVolume({ from: '2026-03-01', to: '2026-03-02' }, [at('2026-03-01T00:00:00.000Z'), at('2026-03-01T00:59:59.999Z'), at('2026-03-02T23:30:00.000Z')]);
    expect(series).toMatchObject({ unit: 'hour', range: 'period', untimed: 0, outside: 0 });
    expect(series?.points).toHaveLength(48);
    expect(series?.points[0]).toEqual({ start: Date.parse('2026-03-01T00:00:00Z'), count: 2 });
    expect(series?.points[47]).toEqual({ start: Date.parse('2026-03-02T23:00:00Z'), count: 1 });
    expect(series?.points.slice(1, 47).every((p) => p.count === 0)).toBe(true);
  });

  test(`one point per day beyond ${HOURLY_MAX_DAYS} days`, () => {
    const week = changeVolume({ from: '2026-03-01', to: '2026-03-07' }, [at('2026-03-03T10:00:00Z')]);
    expect(week?.unit).toBe('hour');
    expect(week?.points).toHaveLength(7 * 24);
    const month = changeVolume({ from: '2026-03-01', to: '2026-03-31' }, [at('2026-03-03T10:00:00Z'), at('2026-03-03T23:00:00Z')]);
    expect(month?.unit).toBe('day');
    expect(month?.points).toHaveLength(31);
    expect(month?.points[2]).toEqual({ start: Date.parse('2026-03-03T00:00:00Z'), count: 2 });
  });

  test('without from/to dates, charts the days from the first to the last change', () => {
    const series = changeVolume({ from: '*', item_key: 'x' }, [at('2026-03-05T10:00:00Z'), at('2026-03-01T01:00:00Z')]);
    expect(series).toMatchObject({ unit: 'hour', range: 'rows' });
    expect(series?.points).toHaveLength(5 * 24);
    expect(series?.points[0]?.start).toBe(Date.parse('2026-03-01T00:00:00Z'));
  });

  test(`narrows a period of more than ${MAX_DAILY_POINTS} days to the days that hold changes, so the chart does not grow with the dates typed`, () => {
    const series = changeVolume({ from: '0001-01-01', to: '9999-12-31' }, [at('2026-03-01T10:00:00Z'), at('2026-04-09T10:00:00Z')]);
    expect(series).toMatchObject({ unit: 'day', range: 'rows-narrowed', outside: 0 });
    expect(series?.points).toHaveLength(40);
  });

  test('counts rows without an event_time and outside the period instead of charting them', () => {
    const series = changeVolume({ from: '2026-03-01', to: '2026-03-01' }, [at('2026-03-01T05:00:00Z'), { event_time: null }, {}, at('2026-03-04T00:00:00Z')]);
    expect(series).toMatchObject({ untimed: 2, outside: 1 });
    expect(series?.points.reduce((s, p) => s + p.count, 0)).toBe(1);
  });

  test('has no series when no row has a time', () => {
    expect(changeVolume({ from: '2026-03-01', to: '2026-03-02' }, [])).toBeUndefined();
    expect(changeVolume({ from: '2026-03-01', to: '2026-03-02' }, [{ account_id: '1' }])).toBeUndefined();
  });

  test('every row is charted once, untimed or outside; points are consecutive; their number follows the rule (generated)', () => {
    const day = fc.integer({ min: 0, max: 800 }).map((d) => new Date(Date.UTC(2026, 0, 1) + d * DAY).toISOString().slice(0, 10));
    const time = fc.integer({ min: Date.UTC(2025, 11, 1), max: Date.UTC(2028, 6, 1) }).map((ms) => new Date(ms).toISOString());
    fc.assert(
      fc.property(day, day, fc.array(fc.option(time, { nil: null }), { maxLength: 60 }), (a, b, times) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const rows = times.map((t) => ({ event_time: t }));
        const series = changeVolume({ from, to }, rows);
        if (times.every((t) => t === null)) return expect(series).toBeUndefined();
        if (!series) throw new Error('expected a series');
        const charted = series.points.reduce((s, p) => s + p.count, 0);
        expect(charted + series.untimed + series.outside).toBe(rows.length);
        const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY + 1;
        expect(series.points).toHaveLength(days <= HOURLY_MAX_DAYS ? days * 24 : days);
        const step = series.unit === 'hour' ? DAY / 24 : DAY;
        series.points.forEach((p, i) => expect(p.start).toBe(Date.parse(`${from}T00:00:00Z`) + i * step));
      }),
    );
  });
});

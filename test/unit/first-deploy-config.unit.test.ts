/** lib/config: the first-deploy keys (retention.apply, digest.reservedConcurrency, heartbeat.*) and the heartbeat timing rule. */
import fc from 'fast-check';
import type { AuditConfig } from '../../schemas/audit-config';
import { digestReservedConcurrency, resolveHeartbeat, retentionApply } from '../../lib/config/load';
import { findConfigProblems } from '../../lib/config/validate';
import { HEARTBEAT_ALARM_WINDOW_MINUTES, heartbeatTimingProblem, worstHeartbeatGapSeconds } from '../../lib/config/heartbeat';
import { heartbeatRateExpression } from '../../lib/constructs/heartbeat';

const ORDERS = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000';

function config(overrides: Partial<AuditConfig> = {}): AuditConfig {
  return { auditAccountId: '111111111111', region: 'eu-west-1', retention: { mode: 'GOVERNANCE', days: 365 }, sources: [{ streamArn: ORDERS }], ...overrides };
}

describe('defaults', () => {
  test('per-object retention, heartbeat every 5 minutes, no reserved digest concurrency', () => {
    expect(retentionApply(config())).toBe('per-object');
    expect(resolveHeartbeat(config())).toEqual({ enabled: true, intervalMinutes: 5 });
    expect(digestReservedConcurrency(config())).toBeUndefined();
    expect(findConfigProblems(config())).toEqual([]);
  });

  test('each key is read when set', () => {
    const c = config({ retention: { mode: 'COMPLIANCE', days: 30, apply: 'bucket-default' }, heartbeat: { enabled: false }, digest: { reservedConcurrency: 1 } });
    expect(findConfigProblems(c)).toEqual([]);
    expect(retentionApply(c)).toBe('bucket-default');
    expect(resolveHeartbeat(c)).toEqual({ enabled: false, intervalMinutes: 5 });
    expect(digestReservedConcurrency(c)).toBe(1);
  });
});

describe('validation', () => {
  test('refuses unknown values and keys, naming each', () => {
    const problems = findConfigProblems({
      ...config(),
      retention: { mode: 'GOVERNANCE', days: 365, apply: 'sometimes' },
      heartbeat: { enabled: 'yes', intervalMinutes: 0, everyMinutes: 5 },
      digest: { reservedConcurrency: 0 },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'retention.apply: "sometimes" is not one of "per-object", "bucket-default"',
        'heartbeat: unknown key "everyMinutes"',
        'heartbeat.enabled: "yes" must be boolean',
        'heartbeat.intervalMinutes: 0 must be >= 1',
        'digest.reservedConcurrency: 0 must be >= 1',
      ]),
    );
  });

  test('refuses a heartbeat whose healthy gap reaches the alarm window, and accepts it when the heartbeat is off', () => {
    const slow = config({ delivery: { bufferIntervalSeconds: 900 }, heartbeat: { intervalMinutes: 10 } });
    expect(findConfigProblems(slow)).toEqual([expect.stringMatching(/^heartbeat.intervalMinutes: 10 with delivery.bufferIntervalSeconds 900 lets two heartbeat objects land up to 2070 s apart .* alarm would fire while the pipeline works/)]);
    expect(findConfigProblems({ ...slow, heartbeat: { enabled: false, intervalMinutes: 10 } })).toEqual([]);
  });

  test('the timing rule accepts exactly the settings whose worst healthy gap is under the window (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 60, max: 900 }), (interval, buffer) => {
        const gap = interval * 60 + 1.5 * buffer + 120;
        expect(worstHeartbeatGapSeconds(interval, buffer)).toBe(gap);
        expect(heartbeatTimingProblem(interval, buffer) === undefined).toBe(gap < HEARTBEAT_ALARM_WINDOW_MINUTES * 60);
      }),
    );
  });
});

test('the schedule says "minute" for one and "minutes" otherwise', () => {
  expect(heartbeatRateExpression(1)).toBe('rate(1 minute)');
  expect(heartbeatRateExpression(5)).toBe('rate(5 minutes)');
});

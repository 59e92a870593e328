import { describe, expect, it } from 'vitest';
import { DEFAULT_MAINTENANCE_POLICY, deferMaintenance, isPendingChanges } from '../../src/store/maintenance.js';

describe('deferMaintenance', () => {
  const policy = { minRows: 1000, maxPendingShare: 0.05, maxPendingRows: 80, maxDeferredRuns: 3 };
  it.each([
    ['a small change to a large table waits', 1000, 10, undefined, { rows: 10, runs: 1 }],
    ['changes add up across runs', 1000, 10, { rows: 30, runs: 2 }, { rows: 40, runs: 3 }],
    ['up to the share of the table', 1000, 50, undefined, { rows: 50, runs: 1 }],
    ['past it, now', 1000, 51, undefined, undefined],
    ['past the row bound, now, however large the table', 100_000, 81, undefined, undefined],
    ['one run too many, now', 1000, 1, { rows: 3, runs: 3 }, undefined],
    ['a small table, always now', 999, 1, undefined, undefined],
  ] as const)('%s', (_name, rows, changed, before, expected) => {
    expect(deferMaintenance(rows, changed, before, policy)).toEqual(expected);
  });

  it('keeps what searches scan flat small at the defaults', () => {
    const { maxPendingRows, maxPendingShare, minRows } = DEFAULT_MAINTENANCE_POLICY;
    expect(deferMaintenance(minRows, minRows * maxPendingShare, undefined)).toBeDefined();
    expect(deferMaintenance(10_000_000, maxPendingRows + 1, undefined)).toBeUndefined();
  });

  it('accepts only counts as pending changes', () => {
    expect(isPendingChanges({ rows: 0, runs: 0 })).toBe(true);
    for (const bad of [null, {}, { rows: -1, runs: 0 }, { rows: 1.5, runs: 1 }, { rows: '1', runs: 1 }, [1, 1]]) expect(isPendingChanges(bad)).toBe(false);
  });
});

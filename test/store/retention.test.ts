import { describe, expect, it } from 'vitest';
import { cleanupCutoff } from '../../src/store/retention.js';

const NOW = new Date('2025-01-01T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW.getTime() - secondsAgo * 1000);
/** Versions 1..n written the given number of seconds ago. */
const versions = (...secondsAgo: number[]) => secondsAgo.map((s, i) => ({ version: i + 1, timestamp: at(s) }));
const MARGIN_MS = 1_000;
/** The cut that keeps `version` and what follows it. */
const keeping = (version: { timestamp: Date } | undefined) => new Date((version?.timestamp.getTime() ?? NaN) - MARGIN_MS);

describe('cleanupCutoff', () => {
  const policy = { graceMs: 60_000, maxVersions: 10, marginMs: MARGIN_MS };

  it.each([
    // [versions written (seconds ago), first version kept]
    ['one version: nothing to delete', [500], 1],
    ['all superseded long ago: only the newest stays', [900, 800, 700], 3],
    ['a version superseded within the grace period stays, with everything after it', [900, 800, 30, 10], 2],
    ['an old version whose successor is recent stays: a search may have opened it just before', [3600, 5], 1],
    ['nothing superseded within the grace period', [3600, 1800, 120], 3],
  ])('%s', (_name, ages, firstKept) => {
    const list = versions(...(ages as number[]));
    expect(cleanupCutoff(list, NOW, policy)).toEqual(keeping(list[(firstKept as number) - 1]));
  });

  it('keeps at most maxVersions besides the newest, however recent', () => {
    const list = versions(50, 40, 30, 20, 10, 0);
    expect(cleanupCutoff(list, NOW, { graceMs: 60_000, maxVersions: 2, marginMs: MARGIN_MS })).toEqual(keeping(list[3]));
  });

  it('keeps the version meta.json names, past both the count and the age bound, and what follows it', () => {
    const list = versions(50, 40, 30, 20, 10, 0);
    expect(cleanupCutoff(list, NOW, { graceMs: 60_000, maxVersions: 2, marginMs: MARGIN_MS }, 2)).toEqual(keeping(list[1]));
    const old = versions(900, 800, 700);
    expect(cleanupCutoff(old, NOW, policy, 1)).toEqual(keeping(old[0]));
    // A named version no longer listed (pruned by an earlier run) changes nothing.
    expect(cleanupCutoff(old, NOW, policy, 99)).toEqual(keeping(old[2]));
  });

  it('orders by version number, not by the order listed', () => {
    const list = versions(900, 800, 10);
    expect(cleanupCutoff([...list].reverse(), NOW, policy)).toEqual(keeping(list[1]));
  });
});

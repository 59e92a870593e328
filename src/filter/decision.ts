/**
 * Why a file is not indexed. Each value is a stable key of the index summary
 * (`"skipped": {"<reason>": count}`): add reasons, never rename them.
 */
export const SKIP_REASONS = [
  'submodule',
  'symlink',
  'gitctx',
  'excluded',
  'lock-file',
  'vendored',
  'generated',
  'too-large',
  'lfs-pointer',
  'binary',
] as const;

export type SkipReason = (typeof SKIP_REASONS)[number];

/** A filter's verdict, with the reason when a file is left out (the shape of ripgrep's `Match`). */
export type FilterDecision = { readonly include: true } | { readonly include: false; readonly reason: SkipReason };

export const INCLUDE: FilterDecision = Object.freeze({ include: true });

const SKIPS = Object.fromEntries(
  SKIP_REASONS.map((reason) => [reason, Object.freeze({ include: false, reason })]),
) as unknown as Record<SkipReason, FilterDecision>;

/** The (shared, frozen) decision to leave a file out for `reason`. */
export function skip(reason: SkipReason): FilterDecision {
  return SKIPS[reason];
}

export type SkipSummary = Partial<Record<SkipReason, number>>;

/** Counts skipped decisions by reason, keys in SKIP_REASONS order, for the index summary. */
export function tallySkips(decisions: Iterable<FilterDecision>): SkipSummary {
  const counts = new Map<SkipReason, number>();
  for (const decision of decisions) {
    if (!decision.include) counts.set(decision.reason, (counts.get(decision.reason) ?? 0) + 1);
  }
  const summary: SkipSummary = {};
  for (const reason of SKIP_REASONS) {
    const count = counts.get(reason);
    if (count !== undefined) summary[reason] = count;
  }
  return summary;
}

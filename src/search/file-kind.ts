/**
 * What kind of file a path is, from the path alone, and the prior that puts source files
 * first. Code search engines do the same (zoekt ranks test and vendored files down, GitHub
 * code search demotes tests, docs and generated files): a question about behaviour is
 * answered by the code that implements it, while tests, docs, examples and changelogs share
 * its words and so outrank it on every ranker. Pure: no I/O.
 */

export const FILE_KINDS = ['source', 'test', 'docs', 'example', 'changelog', 'generated'] as const;

export type FileKind = (typeof FILE_KINDS)[number];

/**
 * How much of its score a result of each kind keeps when ranking prefers source. Not fitted
 * to any evaluation: a half puts a test or doc that one ranker found first level with source
 * that only one ranker found at all (in fused scores), and changelogs and generated files,
 * which almost never answer a question about how the code works, go lower still.
 */
export const KIND_WEIGHT: Readonly<Record<FileKind, number>> = {
  source: 1,
  test: 0.5,
  docs: 0.5,
  example: 0.5,
  changelog: 0.3,
  generated: 0.3,
};

const GENERATED_DIRS = new Set(['vendor', 'vendored', 'third_party', 'third-party', 'thirdparty', 'node_modules', '__generated__', 'generated']);
const GENERATED_NAMES = [
  /\.min\.(js|css|mjs)$/,
  /\.(pb|pb\.gw)\.go$/,
  /_pb2(_grpc)?\.pyi?$/,
  /\.pb\.(h|cc)$/,
  /[._-]generated\.[a-z0-9]+$/,
  /\.g\.dart$/,
  /\.map$/,
  /^(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|cargo\.lock|go\.sum|poetry\.lock|gemfile\.lock|composer\.lock)$/,
];
const CHANGELOG_NAME = /^(changelog|changes|history|news|releases?|release[-_]notes)(\.[a-z0-9]+)?$/;
const TEST_DIRS = new Set(['test', 'tests', '__tests__', 'spec', 'specs', 'testdata', 'test-data', 'test_data', '__mocks__', 'fixtures', 'e2e', 'testing']);
const TEST_NAMES = [/[._-](test|tests|spec)\.[a-z0-9]+$/, /^test_[^/]+\.py$/, /^conftest\.py$/];
/** Java, Kotlin, C#, Scala and Swift name test classes FooTest / FooTests (case matters: Contest.java is not one). */
const TEST_CLASS_NAME = /[a-z0-9]Tests?\.(java|kt|cs|scala|swift)$/;
const EXAMPLE_DIRS = new Set(['example', 'examples', 'sample', 'samples', 'demo', 'demos']);
const DOC_DIRS = new Set(['doc', 'docs', 'documentation', 'man']);
const DOC_NAMES = [/\.(md|mdx|markdown|rst|adoc|asciidoc|org)$/, /^(readme|license|licence|copying|contributing|authors|notice|code_of_conduct|security)(\.[a-z0-9]+)?$/];

/** The kind of the file at `path` (relative, `/`-separated). The first rule that applies wins: generated, changelog, test, example, docs. */
export function fileKind(path: string): FileKind {
  const segments = path.split('/');
  const original = segments.pop() ?? '';
  const name = original.toLowerCase();
  const dirs = segments.map((s) => s.toLowerCase());
  if (dirs.some((d) => GENERATED_DIRS.has(d)) || GENERATED_NAMES.some((re) => re.test(name))) return 'generated';
  if (CHANGELOG_NAME.test(name)) return 'changelog';
  if (dirs.some((d) => TEST_DIRS.has(d)) || TEST_NAMES.some((re) => re.test(name)) || TEST_CLASS_NAME.test(original)) return 'test';
  if (dirs.some((d) => EXAMPLE_DIRS.has(d))) return 'example';
  if (dirs.some((d) => DOC_DIRS.has(d)) || DOC_NAMES.some((re) => re.test(name))) return 'docs';
  return 'source';
}

/** A score with the prior applied; a negative cosine is divided so it, too, moves down. */
function weighted(score: number, weight: number): number {
  return score >= 0 ? score * weight : score / weight;
}

/**
 * The ranking reordered by its ranking key: the score, moved `lifts[i]` of the way towards 1
 * (lexical evidence the fused score misses: search.ts hybridLifts), then weighted by file kind
 * when `kinds` is on. Stable among equals. The scores themselves are left as the ranker gave
 * them, so they keep their units (and --min-score its scale); only the order changes.
 */
export function reorder<T extends { path: string; score: number }>(
  ranked: readonly T[],
  options: { kinds: boolean; lifts?: readonly number[] },
): T[] {
  return ranked
    .map((item, index) => {
      const lift = options.lifts?.[index] ?? 0;
      const score = lift > 0 ? item.score + (1 - item.score) * lift : item.score;
      return { item, index, key: options.kinds ? weighted(score, KIND_WEIGHT[fileKind(item.path)]) : score };
    })
    .sort((a, b) => b.key - a.key || a.index - b.index)
    .map(({ item }) => item);
}

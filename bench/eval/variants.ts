/**
 * The local model against the alternatives that were measured before choosing
 * it: each variant changes one thing from `local-v1`. Kept runnable so a future
 * `local-v2` starts from the same evidence (`node dist-bench/bench/eval/variants.js`).
 */
import { pathToFileURL } from 'node:url';
import type { HashingParams } from '../../src/embed/hashing.js';
import { createLocalProvider, LOCAL_V1_PARAMS } from '../../src/embed/local.js';
import { createLocalV2Provider, LOCAL_V2_PARAMS, type LocalV2Params } from '../../src/embed/local-v2.js';
import type { EmbeddingProvider } from '../../src/embed/types.js';
import {
  buildEvalRepo,
  checkQuestions,
  chunkByLineWindow,
  evaluate,
  loadEvalSet,
  vectorRetriever,
  type EvalReport,
} from './harness.js';

export interface Variant {
  name: string;
  provider: () => EmbeddingProvider;
}

function hashing(name: string, change: Partial<HashingParams>): Variant {
  return { name, provider: () => createLocalProvider({ params: { ...LOCAL_V1_PARAMS, ...change }, model: name }) };
}

export const VARIANTS: readonly Variant[] = [
  { name: 'local-v1', provider: () => createLocalProvider() },
  hashing('words only (no parts, grams, concepts)', { partWeight: 0, gramWeight: 0, conceptWeight: 0 }),
  hashing('no concept groups', { conceptWeight: 0 }),
  hashing('concept weight 1', { conceptWeight: 1 }),
  hashing('no n-grams', { gramWeight: 0 }),
  hashing('no stemming', { stemming: false }),
  hashing('no stop words', { stopWords: false }),
  hashing('no whole identifiers', { wholeWeight: 0 }),
  hashing('tf 1+ln(tf)', { tf: 'log' }),
  hashing('binary tf', { tf: 'binary' }),
  hashing('4-grams', { gramSize: 4 }),
  hashing('dims 256', { dims: 256 }),
  hashing('dims 768', { dims: 768 }),
  hashing('dims 1024', { dims: 1024 }),
  hashing('2 buckets per feature', { bucketsPerFeature: 2 }),
];

function v2(name: string, change: Partial<LocalV2Params>): Variant {
  return { name, provider: () => createLocalV2Provider({ params: { ...LOCAL_V2_PARAMS, ...change }, model: name }) };
}

/** local-v2 and one change from it at a time: how much each half and each choice adds. */
export const LOCAL_V2_VARIANTS: readonly Variant[] = [
  { name: 'local-v2', provider: () => createLocalV2Provider() },
  v2('semantic half only', { semanticShare: 1 }),
  v2('semantic half only, not centred', { semanticShare: 1, center: false }),
  v2('semantic share 0.3', { semanticShare: 0.3 }),
  v2('semantic share 0.7', { semanticShare: 0.7 }),
  v2('not centred', { center: false }),
  v2('raw token counts', { tf: 'raw' }),
  v2('halves summed in 512 dims', { combine: 'sum' }),
  v2('no concept groups in the lexical half', { concepts: false }),
];

export interface VariantResult {
  name: string;
  dev: EvalReport;
  holdout: EvalReport;
}

export async function compareVariants(variants: readonly Variant[] = VARIANTS): Promise<VariantResult[]> {
  const devSet = loadEvalSet('questions');
  const holdoutSet = loadEvalSet('holdout-questions');
  const devRepo = buildEvalRepo(devSet);
  const holdoutRepo = buildEvalRepo(holdoutSet);
  try {
    checkQuestions(devSet, devRepo.files);
    checkQuestions(holdoutSet, holdoutRepo.files);
    const devChunks = chunkByLineWindow(devRepo.files);
    const holdoutChunks = chunkByLineWindow(holdoutRepo.files);
    const results: VariantResult[] = [];
    for (const v of variants) {
      const dev = await evaluate(vectorRetriever(v.provider(), v.name), devChunks, devSet.questions);
      const holdout = await evaluate(vectorRetriever(v.provider(), v.name), holdoutChunks, holdoutSet.questions);
      results.push({ name: v.name, dev, holdout });
    }
    return results;
  } finally {
    devRepo.dispose();
    holdoutRepo.dispose();
  }
}

const f2 = (x: number): string => x.toFixed(2);

export function variantsTable(results: readonly VariantResult[]): string {
  const lines = [
    '| variant | dev R@5 | dev R@10 | dev MRR@10 | dev para R@10 | holdout R@5 | holdout R@10 | holdout MRR@10 | holdout para R@10 |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${f2(r.dev.overall.recallAt5)} | ${f2(r.dev.overall.recallAt10)} | ${f2(r.dev.overall.mrrAt10)} | ` +
        `${f2(r.dev.paraphrased.recallAt10)} | ${f2(r.holdout.overall.recallAt5)} | ${f2(r.holdout.overall.recallAt10)} | ` +
        `${f2(r.holdout.overall.mrrAt10)} | ${f2(r.holdout.paraphrased.recallAt10)} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await compareVariants();
  process.stdout.write(variantsTable(results) + '\n');
}

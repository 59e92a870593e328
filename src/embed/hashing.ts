/**
 * Signed feature hashing for code: the mechanics behind the local model. A text
 * becomes a bag of weighted features (joined identifiers, stemmed identifier
 * parts, concept groups, character n-grams of parts), each feature is hashed
 * to a bucket and a sign, and the bucket sums are L2-normalised. Cosine between
 * two such vectors approximates the weighted overlap of their feature bags.
 * Pure and deterministic: the same text gives the same bits on every machine.
 *
 * The parameters are open so the benchmark can measure alternatives; the
 * shipped model pins one set of them under a versioned name (see local.ts).
 */
import { fmix32, fnvCodePoint, fnvStart, hashString } from './hash.js';
import { CONCEPT_GROUPS, STOP_WORDS } from './lexicon.js';
import { stem } from './stem.js';
import { splitIdentifier } from './tokens.js';
import { WordMemo } from './word-memo.js';

export interface HashingParams {
  dims: number;
  /** Weight of a multi-part identifier as a whole (`parsejsonnumber`). */
  wholeWeight: number;
  /** Weight of each stemmed part (`pars`, `json`, `numb`). */
  partWeight: number;
  /** Weight of each concept group a part belongs to (0 turns the lexicon off). */
  conceptWeight: number;
  /** Total weight of a part's character n-grams (shared out over them). */
  gramWeight: number;
  gramSize: number;
  /** Parts shorter than this give no n-grams (they are whole already). */
  gramMinLength: number;
  /** Stem parts before hashing and concept lookup. */
  stemming: boolean;
  stopWords: boolean;
  /** Term frequency damping: 'log' is 1 + ln(tf), 'sqrt' is √tf, 'raw' is tf, 'binary' is 1. */
  tf: 'log' | 'sqrt' | 'raw' | 'binary';
  /** Buckets per feature; more spreads collisions at the cost of speed. */
  bucketsPerFeature: number;
  /** Weight multipliers keyed `kind:key` (`part:pars`, `whole:parsejson`, `concept:3`). */
  idf?: ReadonlyMap<string, number>;
  /** Multiplier for a term missing from `idf`. */
  idfDefault?: number;
  /** Mixed into every hash; only for measuring how much figures move with collisions. */
  seed?: number;
}

const enum Salt {
  Whole = 1,
  Part = 2,
  Concept = 3,
  Gram = 4,
  Empty = 5,
}

/** The features one written word contributes, computed once per distinct word. */
interface WordFeatures {
  hashes: number[];
  weights: number[];
}

const NO_FEATURES: WordFeatures = { hashes: [], weights: [] };
/** Per-word memo bound: enough for a large repository's vocabulary, small in memory. */
const MEMO_LIMIT = 50_000;

function gramHashes(part: string, n: number, seed: number, out: number[]): void {
  // `^` and `$` mark the ends, so prefixes and suffixes are their own features.
  const cps = [0x5e, ...Array.from(part, (c) => c.codePointAt(0) as number), 0x24];
  for (let i = 0; i + n <= cps.length; i++) {
    let h = fnvStart(Salt.Gram);
    for (let j = 0; j < n; j++) h = fnvCodePoint(h, cps[i + j] as number);
    out.push(fmix32(h ^ seed));
  }
}

/** Open-addressing accumulator keyed by 32-bit feature hash: weight sum and count. */
class FeatureTable {
  private keys: Uint32Array;
  private sums: Float64Array;
  private counts: Uint32Array;
  private used: number[] = [];
  private mask: number;

  constructor(capacity = 4096) {
    this.keys = new Uint32Array(capacity);
    this.sums = new Float64Array(capacity);
    this.counts = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  add(key: number, weight: number): void {
    // 0 marks an empty slot, so a feature hashing to 0 is stored as 1.
    const k = key === 0 ? 1 : key;
    let i = k & this.mask;
    for (;;) {
      const at = this.keys[i] as number;
      if (at === k) {
        (this.sums[i] as number) += weight;
        (this.counts[i] as number) += 1;
        return;
      }
      if (at === 0) {
        this.keys[i] = k;
        this.sums[i] = weight;
        this.counts[i] = 1;
        this.used.push(i);
        if (this.used.length * 2 > this.keys.length) this.grow();
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.used.map((i) => [this.keys[i] as number, this.sums[i] as number, this.counts[i] as number] as const);
    const capacity = this.keys.length * 2;
    this.keys = new Uint32Array(capacity);
    this.sums = new Float64Array(capacity);
    this.counts = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.used = [];
    for (const [k, s, c] of old) {
      let i = k & this.mask;
      while (this.keys[i] !== 0) i = (i + 1) & this.mask;
      this.keys[i] = k;
      this.sums[i] = s;
      this.counts[i] = c;
      this.used.push(i);
    }
  }

  /** Calls `f` for each feature in insertion order (the order fixes float rounding), then empties the table. */
  drain(f: (key: number, sum: number, count: number) => void): void {
    for (const i of this.used) {
      f(this.keys[i] as number, this.sums[i] as number, this.counts[i] as number);
      this.keys[i] = 0;
    }
    this.used = [];
  }
}

/** One symbolic feature before hashing; `grams` stands for all n-grams of `key`. */
export interface Term {
  kind: 'whole' | 'part' | 'concept' | 'grams';
  key: string;
  weight: number;
}

export interface HashingEmbedder {
  readonly params: Readonly<HashingParams>;
  embed(text: string): Float32Array;
  /** The symbolic features of a text, for building statistics such as document frequencies. */
  terms(text: string): Term[];
}

export function createHashingEmbedder(params: HashingParams): HashingEmbedder {
  const p: Readonly<HashingParams> = Object.freeze({ ...params });
  const stopWords = new Set(p.stopWords ? STOP_WORDS : []);
  const norm = (w: string): string => (p.stemming ? stem(w) : w);
  const concepts = new Map<string, number[]>();
  if (p.conceptWeight > 0) {
    CONCEPT_GROUPS.forEach((group, g) => {
      for (const word of group) {
        const key = norm(word);
        const list = concepts.get(key) ?? [];
        if (!list.includes(g)) list.push(g);
        concepts.set(key, list);
      }
    });
  }
  const seed = p.seed ?? 0;
  // Each distinct word's feature hashes and weights, packed (word-memo.ts).
  const memo = new WordMemo(MEMO_LIMIT);
  let memoHashes = new Uint32Array(1 << 12);
  let memoWeights = new Float64Array(1 << 12);
  const table = new FeatureTable();
  // Reused by every call (zeroed first): one buffer of the C allocator per chunk fewer.
  const acc = new Float64Array(p.dims);
  const wordRe = /[\p{L}\p{N}_$]+/gu;

  function termsOf(word: string, out: Term[]): void {
    const parts = splitIdentifier(word);
    if (parts.length > 1 && p.wholeWeight > 0) out.push({ kind: 'whole', key: parts.join(''), weight: p.wholeWeight });
    for (const part of parts) {
      // Single letters (loop indices, generics) and stop words carry no meaning.
      if (part.length < 2 || stopWords.has(part)) continue;
      const isNumber = part.charCodeAt(0) >= 48 && part.charCodeAt(0) <= 57;
      const base = norm(part);
      out.push({ kind: 'part', key: base, weight: p.partWeight });
      const groups = concepts.get(base);
      if (groups !== undefined) {
        const w = p.conceptWeight / Math.sqrt(groups.length);
        for (const g of groups) out.push({ kind: 'concept', key: String(g), weight: w });
      }
      if (p.gramWeight > 0 && !isNumber && part.length >= p.gramMinLength) {
        out.push({ kind: 'grams', key: part, weight: p.gramWeight });
      }
    }
  }

  function featuresOf(word: string): WordFeatures {
    const terms: Term[] = [];
    termsOf(word, terms);
    if (terms.length === 0) return NO_FEATURES;
    const hashes: number[] = [];
    const weights: number[] = [];
    for (const t of terms) {
      const idf = idfOf(t);
      if (t.kind === 'grams') {
        const grams: number[] = [];
        gramHashes(t.key, p.gramSize, seed, grams);
        const w = (t.weight * idf) / Math.sqrt(grams.length);
        for (const g of grams) {
          hashes.push(g);
          weights.push(w);
        }
        continue;
      }
      const salt = t.kind === 'whole' ? Salt.Whole : t.kind === 'part' ? Salt.Part : Salt.Concept;
      hashes.push(seed === 0 ? hashString(t.key, salt) : fmix32(hashString(t.key, salt) ^ seed));
      weights.push(t.weight * idf);
    }
    return { hashes, weights };
  }

  function idfOf(t: Term): number {
    if (p.idf === undefined) return 1;
    const key = t.kind === 'grams' ? `part:${norm(t.key)}` : `${t.kind}:${t.key}`;
    return p.idf.get(key) ?? p.idfDefault ?? 1;
  }

  function embed(text: string): Float32Array {
    wordRe.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = wordRe.exec(text)) !== null) {
      const word = m[0];
      let slot = memo.find(word);
      if (slot === -1) {
        const { hashes, weights } = featuresOf(word);
        slot = memo.add(word, hashes.length);
        memoHashes = WordMemo.fit(memoHashes, memo);
        memoWeights = WordMemo.fit(memoWeights, memo);
        memoHashes.set(hashes, memo.start(slot));
        memoWeights.set(weights, memo.start(slot));
      }
      for (let i = memo.start(slot), end = memo.end(slot); i < end; i++) table.add(memoHashes[i] as number, memoWeights[i] as number);
    }
    acc.fill(0);
    let any = false;
    table.drain((key, sum, count) => {
      any = true;
      const mean = sum / count;
      const value =
        p.tf === 'log'
          ? mean * (1 + Math.log(count))
          : p.tf === 'sqrt'
            ? mean * Math.sqrt(count)
            : p.tf === 'raw'
              ? sum
              : mean;
      let h = key;
      for (let b = 0; b < p.bucketsPerFeature; b++) {
        // Bit 0 gives the sign, the rest the bucket; later buckets rehash the key.
        if (b > 0) h = fmix32(h ^ 0x9e3779b9);
        const bucket = (h >>> 1) % p.dims;
        acc[bucket] = (acc[bucket] as number) + ((h & 1) === 0 ? value : -value);
      }
    });
    if (!any) {
      // No features (empty text, only punctuation or stop words): one fixed unit
      // vector rather than zeros, whose cosine is undefined.
      const h = hashString('', Salt.Empty);
      acc[(h >>> 1) % p.dims] = 1;
    }
    let sq = 0;
    for (let i = 0; i < acc.length; i++) sq += (acc[i] as number) * (acc[i] as number);
    const out = new Float32Array(p.dims);
    if (sq === 0) {
      // Every feature cancelled out in its bucket: fall back to the empty-text vector.
      out[(hashString('', Salt.Empty) >>> 1) % p.dims] = 1;
      return out;
    }
    const inv = 1 / Math.sqrt(sq);
    for (let i = 0; i < acc.length; i++) out[i] = (acc[i] as number) * inv;
    return out;
  }

  return {
    params: p,
    embed,
    terms(text: string): Term[] {
      const out: Term[] = [];
      for (const m of text.matchAll(/[\p{L}\p{N}_$]+/gu)) termsOf(m[0], out);
      return out;
    },
  };
}

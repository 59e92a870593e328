/**
 * SentencePiece unigram tokenizer for the Universal Sentence Encoder lite
 * vocabulary, in time linear in the text's length.
 *
 * It gives exactly the token ids of the tokenizer in @energetic-ai/embeddings
 * 0.2.0 (itself from Google's tfjs-models), including its quirks, which the
 * token table was distilled against: NFKC, `▁` before the text and for every
 * space, best-scoring segmentation with ties going to the later candidate, a
 * null score counting as 0, an unreached lattice position counting as score 0,
 * one unknown token (id 0) for a character no piece starts with, runs of
 * unknowns merged. That tokenizer looks up pieces with a fresh slice of the
 * rest of the text at every position, which is quadratic; here a trie walk
 * from each position stops at the longest piece (16 characters), so the work
 * is at most 16 steps a character. The test holds this to the package's own
 * ids on a committed fixture.
 */

/** `[piece, score]` as in the published vocab.json; a null score counts as 0. */
export type VocabEntry = readonly [string, number | null];

/** <unk>, <s>, </s> and three unused ids: never produced by segmentation. */
export const RESERVED_TOKENS = 6;
const UNKNOWN = 0;
const SPACE = '\u2581';
/** Code points run 0 to 0x10FFFF; node * CODE_POINTS + code point is a trie edge's key (exact in a double). */
const CODE_POINTS = 0x110000;

export class SentencePieceTokenizer {
  /**
   * Trie over code points: the child of node n for code point c is `edges.get(n * CODE_POINTS + c)`,
   * and `pieceAt[n]` the piece ending at n (-1 for none). One map for all nodes: a Map per node
   * made building the trie (every process that embeds, every search) take 35 ms instead of a few.
   */
  private readonly edges = new Map<number, number>();
  private readonly pieceAt: number[] = [-1];
  private readonly scores: Float64Array;
  /** Each piece's length in UTF-16 units, as the reference steps back by it. */
  private readonly lengths: Int32Array;
  private readonly maxPiece: number;

  constructor(vocab: readonly VocabEntry[]) {
    this.scores = new Float64Array(vocab.length);
    this.lengths = new Int32Array(vocab.length);
    let maxPiece = 1;
    vocab.forEach(([piece, score], id) => {
      this.scores[id] = score ?? 0;
      this.lengths[id] = piece.length;
      if (id < RESERVED_TOKENS) return;
      let node = 0;
      let length = 0;
      for (const ch of piece) {
        const key = node * CODE_POINTS + (ch.codePointAt(0) as number);
        let next = this.edges.get(key);
        if (next === undefined) {
          next = this.pieceAt.length;
          this.pieceAt.push(-1);
          this.edges.set(key, next);
        }
        node = next;
        length++;
      }
      // A piece listed twice keeps its last id, as in the reference trie.
      if (length > 0) this.pieceAt[node] = id;
      if (length > maxPiece) maxPiece = length;
    });
    this.maxPiece = maxPiece;
  }

  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    const input = SPACE + normalized.replaceAll(' ', SPACE);
    const symbols: number[] = [];
    for (const ch of input) symbols.push(ch.codePointAt(0) as number);
    const n = symbols.length;
    const width = this.maxPiece + 1;
    // matches[start * width + length]: the piece spanning symbols[start, start + length), or -1.
    const matches = new Int32Array(n * width).fill(-1);
    for (let start = 0; start < n; start++) {
      let node = 0;
      let found = false;
      for (let at = start; at < n && at - start < this.maxPiece; at++) {
        const next = this.edges.get(node * CODE_POINTS + (symbols[at] as number));
        if (next === undefined) break;
        node = next;
        const id = this.pieceAt[node] as number;
        if (id >= 0) {
          matches[start * width + at - start + 1] = id;
          found = true;
        }
      }
      if (!found) matches[start * width + 1] = UNKNOWN;
    }

    const best = new Float64Array(n + 1);
    const chosen = new Int32Array(n + 1);
    for (let end = 1; end <= n; end++) {
      // Starts in ascending order, as the reference visits them; ties go to the later one.
      for (let length = Math.min(end, this.maxPiece); length >= 1; length--) {
        const id = matches[(end - length) * width + length] as number;
        if (id < 0) continue;
        const score = (id === UNKNOWN ? 0 : (this.scores[id] as number)) + (best[end - length] as number);
        if (best[end] === 0 || score >= (best[end] as number)) {
          best[end] = score;
          chosen[end] = id;
        }
      }
    }

    const reversed: number[] = [];
    for (let at = n; at > 0; at -= this.lengths[chosen[at] as number] as number) reversed.push(chosen[at] as number);
    const ids: number[] = [];
    for (let i = reversed.length - 1; i >= 0; i--) {
      const id = reversed[i] as number;
      // Runs of unknown characters become one unknown token.
      if (id === UNKNOWN && i + 1 < reversed.length && reversed[i + 1] === UNKNOWN) continue;
      ids.push(id);
    }
    return ids;
  }
}

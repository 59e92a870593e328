/**
 * Chunking: what part of a file becomes one embedding, and what language it is.
 *
 * A chunk is a run of whole lines (`startLine`..`endLine`, 1-based, inclusive,
 * numbered as `splitLines` numbers them) whose text is exactly those lines
 * joined by `\n`. That text is what gets embedded — no path or language header,
 * so identical code anywhere shares one vector — and `hash` is of that text
 * alone, so moved or renamed code keeps its cached vector. Chunks follow the
 * code's structure (a top-level definition with its comments, a class split at
 * its methods, a markdown section, a paragraph), aim at a target size and never
 * exceed the provider's limit: a line too long for any chunk is the one case
 * where a chunk holds part of a line (`lineSlice`).
 *
 * Chunking reads the text only, never the path: the cache is keyed by blob, so a
 * blob must chunk the same way at every path it appears under.
 *
 * Stability is the point: cut points are decided from each line's immediate
 * surroundings, never from a running total, so an edit moves them only nearby.
 * A block with a nested body and at least a quarter of the target's tokens (a
 * typical function) is always chunked on its own, so an edit inside it changes
 * only its own chunks, plus any small blocks packed up to its standalone
 * neighbours. Small blocks (imports, constants, one-line functions, paragraphs)
 * are packed together; an edit in one changes only chunks between the nearest
 * standalone blocks around it (test/chunk/stability.test.ts states and checks
 * this precisely).
 *
 * `chunkerSignature` names the algorithm and its parameters for the cache; any
 * change to chunking output bumps `CHUNKER_VERSION`.
 */
export {
  CHUNKER_VERSION,
  DEFAULT_TARGET_TOKENS,
  chunkText,
  chunkerOptionsFor,
  chunkerSignature,
  type Chunk,
  type ChunkerOptions,
} from './chunker.js';
export { LANGUAGES, detectLanguage, languageFromShebang, normalizeLanguage, type Language } from './language.js';
export { splitLines } from './lines.js';

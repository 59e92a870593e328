/**
 * The per-word memo of the local models, packed: a word maps to a span of numbers in
 * one growing pool instead of to typed arrays of its own.
 *
 * A memo of 50,000 words held as two small typed arrays each was 100,000 separate
 * allocations of the C allocator, long-lived and scattered among the short-lived
 * buffers of an index run, so freed memory around them could not go back to the
 * system; with their headers it was about a third of the JS heap of a cold index.
 * Packed, it is a few large arrays, and the same numbers.
 *
 * The words are copied before they are kept: a word matched in a chunk's text is a
 * slice of that text, and as a key it would keep the whole text alive.
 */

function grown<T extends Float64Array | Int32Array | Uint32Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  let size = array.length;
  while (size < needed) size *= 2;
  const bigger = new (array.constructor as new (n: number) => T)(size);
  bigger.set(array);
  return bigger;
}

/** A copy of `word` that shares no memory with the text it was matched in. */
function detached(word: string): string {
  // `' ' + word` is flattened into a new string by slice(); the slice then refers to that copy only.
  return word.length < 13 ? word : (' ' + word).slice(1);
}

/**
 * Word → span of entries in the caller's pools (one or more, written in step). Holds at
 * most `limit` words; past that it starts again from empty, as the unpacked memo did.
 */
export class WordMemo {
  private readonly slots = new Map<string, number>();
  private starts: number[] = [];
  private ends: number[] = [];
  private used = 0;

  constructor(private readonly limit: number) {}

  /** The word's slot, or -1. */
  find(word: string): number {
    return this.slots.get(word) ?? -1;
  }

  start(slot: number): number {
    return this.starts[slot] as number;
  }

  end(slot: number): number {
    return this.ends[slot] as number;
  }

  /**
   * Reserves `count` entries for a new word, forgetting every word first when full;
   * returns its slot, whose entries [start, end) the caller then fills.
   */
  add(word: string, count: number): number {
    if (this.slots.size >= this.limit) {
      this.slots.clear();
      this.starts = [];
      this.ends = [];
      this.used = 0;
    }
    const slot = this.starts.length;
    this.starts.push(this.used);
    this.used += count;
    this.ends.push(this.used);
    this.slots.set(detached(word), slot);
    return slot;
  }

  /** Entries in use: the length every pool must have. */
  get size(): number {
    return this.used;
  }

  /** `pool` grown (doubling) to hold every reserved entry. */
  static fit<T extends Float64Array | Int32Array | Uint32Array>(pool: T, memo: WordMemo): T {
    return grown(pool, memo.size);
  }
}

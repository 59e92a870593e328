/**
 * Words of code: how identifiers break into the parts people use when they talk
 * about them. `parseJSONNumber`, `parse_json_number` and `PARSE_JSON_NUMBER` all
 * give the parts `parse json number` and the same joined form `parsejsonnumber`,
 * so a question in any naming style meets the code in any other. Shared by the
 * local embedding model and the full-text search.
 */

/** A run of letters, digits, `_` or `$`: an identifier, a number or a word of prose. */
const WORD = /[\p{L}\p{N}_$]+/gu;

const enum Kind {
  Separator,
  Lower,
  Upper,
  Digit,
}

function kindOf(s: string, i: number): Kind {
  const c = s.charCodeAt(i);
  if (c >= 97 && c <= 122) return Kind.Lower;
  if (c >= 65 && c <= 90) return Kind.Upper;
  if (c >= 48 && c <= 57) return Kind.Digit;
  if (c === 95 || c === 36 || c < 128) return Kind.Separator;
  // Outside ASCII: a letter with a distinct lowercase form is upper case; other
  // letters (including scripts without case) count as lower so they join words.
  const ch = String.fromCodePoint(s.codePointAt(i) as number);
  if (ch !== ch.toLowerCase()) return Kind.Upper;
  if (/\p{N}/u.test(ch)) return Kind.Digit;
  if (/[\p{L}\p{M}]/u.test(ch)) return Kind.Lower;
  return Kind.Separator;
}

/**
 * Splits one identifier into lowercase parts at `_`, `$`, case changes and
 * letter/digit changes: `parseHTTPResponse2` → `parse http response 2`,
 * `MAX_EXPRESSION` → `max expression`, `ucs2length` → `ucs 2 length`.
 */
export function splitIdentifier(identifier: string): string[] {
  const parts: string[] = [];
  const n = identifier.length;
  let start = -1;
  let prev = Kind.Separator;
  for (let i = 0; i < n; i++) {
    // A surrogate pair is one letter: keep both halves in the same part.
    const code = identifier.charCodeAt(i);
    if (code >= 0xdc00 && code <= 0xdfff && start >= 0) continue;
    const kind = kindOf(identifier, i);
    if (kind === Kind.Separator) {
      if (start >= 0) parts.push(identifier.slice(start, i).toLowerCase());
      start = -1;
      prev = kind;
      continue;
    }
    let boundary = start < 0;
    if (!boundary) {
      if (kind === Kind.Upper && (prev === Kind.Lower || prev === Kind.Digit)) boundary = true;
      else if (kind === Kind.Digit && prev !== Kind.Digit) boundary = true;
      else if (kind !== Kind.Digit && prev === Kind.Digit) boundary = true;
      // The last capital of a run starts the next word: HTTPResponse → HTTP Response.
      else if (kind === Kind.Upper && prev === Kind.Upper && i + 1 < n && kindOf(identifier, i + 1) === Kind.Lower) {
        boundary = true;
      }
    }
    if (boundary) {
      if (start >= 0) parts.push(identifier.slice(start, i).toLowerCase());
      start = i;
    }
    prev = kind;
  }
  if (start >= 0) parts.push(identifier.slice(start).toLowerCase());
  return parts;
}

/** Each word-like run of `text` (identifiers, numbers, prose words), in order, as written. */
export function words(text: string): string[] {
  return text.match(WORD) ?? [];
}

export interface CodeTermsOptions {
  /** Shortest term kept (default 2): single letters like loop counters carry no meaning. */
  minLength?: number;
}

/**
 * The search terms of a text, in order and with repeats (term frequency matters
 * to ranking): for each word its joined lowercase form, then, if it has several
 * parts, each part. `getHTTPStatus(res)` → `gethttpstatus get http status res`.
 */
export function codeTerms(text: string, options: CodeTermsOptions = {}): string[] {
  const minLength = options.minLength ?? 2;
  const terms: string[] = [];
  for (const word of words(text)) {
    const parts = splitIdentifier(word);
    if (parts.length === 0) continue;
    if (parts.length === 1) {
      const only = parts[0] as string;
      if (only.length >= minLength) terms.push(only);
      continue;
    }
    const joined = parts.join('');
    if (joined.length >= minLength) terms.push(joined);
    for (const part of parts) if (part.length >= minLength) terms.push(part);
  }
  return terms;
}

/**
 * The built-in highlighter: one left-to-right scan that finds comments, strings,
 * keywords and numbers by the rules in syntax.ts and colours them with the basic
 * 16 colours, so it reads on any terminal theme. Identifiers are scanned whole,
 * so digits and keywords inside names stay plain.
 */
import type { Syntax } from './syntax.js';
import { syntaxFor } from './syntax.js';

export type TokenClass = 'comment' | 'string' | 'keyword' | 'number';

export interface Token {
  text: string;
  class?: TokenClass;
}

const STYLE: Readonly<Record<TokenClass, string>> = {
  comment: '90',
  string: '32',
  keyword: '35',
  number: '33',
};

const IDENTIFIER = /[\p{L}_$][\p{L}\p{N}_$]*/uy;
const NUMBER = /(?:0[xX][\da-fA-F_]+|0[bBoO][\d_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)[\p{L}_\d]*/uy;
const CHAR_LITERAL = /'(?:\\[^'\n]{1,10}|[^\\'\n])'/uy;
const WORD_CHAR = /[\p{L}\p{N}_$]/u;

/** `code` with ANSI colours added; every coloured run is closed before a newline. */
export function highlight(code: string, language: string): string {
  const rules = syntaxFor(language);
  if (rules === undefined) return code;
  return render(tokenize(code, rules));
}

export function tokenize(code: string, rules: Syntax): Token[] {
  const tokens: Token[] = [];
  let plainFrom = 0;
  let i = 0;
  const emit = (end: number, tokenClass: TokenClass): void => {
    if (plainFrom < i) tokens.push({ text: code.slice(plainFrom, i) });
    tokens.push({ text: code.slice(i, end), class: tokenClass });
    i = end;
    plainFrom = end;
  };

  while (i < code.length) {
    const end = matchComment(code, i, rules) ?? matchString(code, i, rules);
    if (end !== undefined) {
      emit(end.end, end.class);
      continue;
    }
    const previous = i > 0 ? code[i - 1] ?? '' : '';
    if (!WORD_CHAR.test(previous)) {
      NUMBER.lastIndex = i;
      if (/\d/.test(code[i] ?? '') && NUMBER.test(code)) {
        emit(NUMBER.lastIndex, 'number');
        continue;
      }
      IDENTIFIER.lastIndex = i;
      const identifier = IDENTIFIER.exec(code);
      if (identifier !== null) {
        const word = identifier[0];
        if (isKeyword(word, rules)) emit(i + word.length, 'keyword');
        else i += word.length;
        continue;
      }
    }
    i += 1;
  }
  if (plainFrom < code.length) tokens.push({ text: code.slice(plainFrom) });
  return tokens;
}

function isKeyword(word: string, rules: Syntax): boolean {
  return rules.keywords.has(rules.caseInsensitiveKeywords ? word.toLowerCase() : word);
}

interface Match {
  end: number;
  class: TokenClass;
}

function matchComment(code: string, i: number, rules: Syntax): Match | undefined {
  for (const [open, close] of rules.blockComments) {
    if (!code.startsWith(open, i)) continue;
    const closeAt = code.indexOf(close, i + open.length);
    return { end: closeAt === -1 ? code.length : closeAt + close.length, class: 'comment' };
  }
  for (const open of rules.lineComments) {
    if (!code.startsWith(open, i)) continue;
    // `#` inside a word or after `$` is not a comment ($#, ${#x}, a#b in shell; YAML
    // wants a space before it); other openers are unambiguous enough.
    if (open === '#' && i > 0 && !/\s/.test(code[i - 1] ?? '')) continue;
    const newline = code.indexOf('\n', i);
    return { end: newline === -1 ? code.length : newline, class: 'comment' };
  }
  return undefined;
}

function matchString(code: string, i: number, rules: Syntax): Match | undefined {
  for (const quote of rules.multilineQuotes) {
    if (code.startsWith(quote, i)) return { end: stringEnd(code, i + quote.length, quote, true), class: 'string' };
  }
  if (rules.charLiterals && code[i] === "'") {
    CHAR_LITERAL.lastIndex = i;
    // Not a literal: a Rust lifetime or an ML prime, left plain.
    return CHAR_LITERAL.test(code) ? { end: CHAR_LITERAL.lastIndex, class: 'string' } : undefined;
  }
  for (const quote of rules.quotes) {
    if (code.startsWith(quote, i)) return { end: stringEnd(code, i + quote.length, quote, false), class: 'string' };
  }
  return undefined;
}

/** Index just past the closing `quote`, or the line's end (or the text's) when it never closes. */
function stringEnd(code: string, from: number, quote: string, multiline: boolean): number {
  let j = from;
  while (j < code.length) {
    const char = code[j];
    if (char === '\\') {
      // An escaped newline still ends a one-line string: keep the damage to one line.
      j += code[j + 1] === '\n' && !multiline ? 1 : 2;
      continue;
    }
    if (char === '\n' && !multiline) return j;
    if (code.startsWith(quote, j)) return j + quote.length;
    j += 1;
  }
  return code.length;
}

function render(tokens: readonly Token[]): string {
  let out = '';
  for (const token of tokens) {
    if (token.class === undefined) {
      out += token.text;
      continue;
    }
    const open = `\x1b[${STYLE[token.class]}m`;
    out += token.text
      .split('\n')
      .map((line) => (line === '' ? line : `${open}${line}\x1b[39m`))
      .join('\n');
  }
  return out;
}

/**
 * Symbol definitions: a question that names an identifier is best answered by the code that
 * defines it, not by the tests, docs and callers that mention it (often more times). Code
 * search engines rank the same way: zoekt scores a match on a symbol definition above a plain
 * match, and GitHub code search puts the definition of a searched name first. The index keeps
 * no symbol table, so definitions are recognised here in the candidates' own text, with the
 * declaration forms of the languages we chunk. Pure: no I/O.
 */

/** How far towards 1 the ranking key of a chunk that defines a named identifier is moved (times its rarity). */
export const DEFINITION_LIFT = 0.5;

/**
 * The identifiers a query names. A word counts when its shape says it is code, not English:
 * camelCase inside (`parseConfig`, `ParseIPv4Mask`), an underscore (`parse_config`), letters
 * and digits together (`int32`), a dotted name (`hex.DecodeString`: each part counts) or all
 * capitals (`CIDR`); and so does a capitalised word (`Lexer`), which may name a type. Plain
 * lower-case words (`parse`, `flag`) are English as often as code and never count.
 */
export function queryIdentifiers(query: string): string[] {
  const names = new Set<string>();
  for (const match of query.matchAll(/[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*/g)) {
    const token = match[0];
    const parts = token.split('.');
    if (parts.length > 1) {
      for (const part of parts) if (part.length >= 2) names.add(part);
      continue;
    }
    if (token.length < 2) continue;
    const shaped = /[a-z][A-Z]/.test(token) || token.includes('_') || /[A-Za-z]\d|\d[A-Za-z]/.test(token) || /^[A-Z][A-Z]+$/.test(token);
    if (shaped || /^[A-Z][a-z]/.test(token)) names.add(token);
  }
  return [...names];
}

const escape = (name: string) => name.replace(/[$]/g, '\\$');

/**
 * Declaration forms, with NAME where the identifier goes (a regular expression source,
 * multi-line, case-sensitive). Only forms that declare; a call or a use never matches.
 */
const DEFINITION_FORMS: readonly string[] = [
  // Keyword declarations: JS/TS, Go, Python, Rust, Java-like, Ruby, Kotlin, Swift.
  String.raw`\b(?:function\*?|func|def|class|interface|type|enum|struct|trait|module|namespace|const|let|var|fn|record|object|protocol)\s+NAME(?![\w$])`,
  // Go methods: func (r *T) NAME(
  String.raw`\bfunc\s*\([^)\n]*\)\s*NAME\s*[([]`,
  // Assignment at the top level or one level in (Go var blocks, Python class attributes, exports.NAME =).
  String.raw`^(?:\t| {0,4})(?:export\s+)?(?:(?:module\.)?exports\.)?NAME\s*(?::[^=\n]*)?:?=(?![=>])`,
  // Class and object-literal methods with their body on the same line: NAME(args) {
  String.raw`^\s*(?:(?:public|private|protected|static|async|get|set|readonly|override|abstract)\s+)*\*?NAME\s*(?:<[^>\n]*>)?\s*\([^)\n]*\)\s*(?::[^{\n]*)?\{`,
  // Object-literal functions: NAME: function / NAME: (args) =>
  String.raw`^\s*NAME\s*:\s*(?:async\s+)?(?:function\b|\([^)\n]*\)\s*=>)`,
];

/** A matcher of `name`'s definitions in a text. */
export function definitionPattern(name: string): RegExp {
  return new RegExp(DEFINITION_FORMS.map((form) => form.replace('NAME', escape(name))).join('|'), 'm');
}

/** Whether `text` defines `name`. */
export function defines(text: string, name: string): boolean {
  return definitionPattern(name).test(text);
}

/**
 * For each candidate, how strongly it is the definition of something the query names, 0 to 1:
 * for each named identifier it defines, one over the number of distinct files among the
 * candidates that define it (a name every value type defines, such as `Set`, counts little;
 * one only its own file defines counts fully), the largest over the identifiers.
 */
export function definitionStrength<T extends { path: string; content: string }>(query: string, candidates: readonly T[]): number[] {
  const strength = candidates.map(() => 0);
  for (const name of queryIdentifiers(query)) {
    const pattern = definitionPattern(name);
    const defining = candidates.map((c) => c.content.includes(name) && pattern.test(c.content));
    const files = new Set(candidates.filter((_, i) => defining[i]).map((c) => c.path)).size;
    if (files === 0) continue;
    defining.forEach((d, i) => {
      if (d) strength[i] = Math.max(strength[i] as number, 1 / files);
    });
  }
  return strength;
}

/**
 * Chunking: what part of a file becomes one embedding, and what language it is.
 *
 * Line numbers everywhere in gitctx are those of `splitLines`; languages are the
 * ids of `detectLanguage`, which double as markdown fence names and `--lang` values.
 */
export { LANGUAGES, detectLanguage, languageFromShebang, normalizeLanguage, type Language } from './language.js';
export { splitLines } from './lines.js';

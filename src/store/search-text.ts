import { codeTerms } from '../embed/tokens.js';

/**
 * The text the full-text index sees for a chunk: its path and content as code terms,
 * so `parseConfig`, `parse_config` and "parse config" all meet. LanceDB's own
 * tokenizer does not split identifiers, so we hand it words that are already split;
 * queries go through the same function.
 */
export function searchTextOf(path: string, content: string): string {
  return codeTerms(`${path}\n${content}`).join(' ');
}

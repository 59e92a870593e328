/**
 * Secrets never reach output whole: keys are shown as their first and last
 * three characters (DESIGN.md), and any text that may echo a key (a server's
 * error message) is scrubbed before it is put in an error.
 */

/** `sk-proj-abcdef123456` → `sk-...456`; short values are hidden entirely. */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return '***';
  return `${secret.slice(0, 3)}...${secret.slice(-3)}`;
}

/**
 * A URL as it may be shown: a password, a user name and a query string (where proxies
 * put tokens) are dropped, so `https://u:tok@proxy/v1?key=x` shows as `https://proxy/v1`.
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString().replace(/\/$/, '');
  } catch (err) {
    if (err instanceof TypeError) return '(an invalid URL)';
    throw err;
  }
}

/** The secrets a URL carries (a password, query values), for redactSecrets. */
export function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [parsed.password, ...parsed.searchParams.values()].filter((s) => s !== '');
  } catch (err) {
    if (err instanceof TypeError) return [];
    throw err;
  }
}

/** Replaces every occurrence of each secret in `text` with its masked form. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short "secrets" (placeholders) would scramble ordinary words.
    if (secret === undefined || secret.length < 6) continue;
    out = out.split(secret).join(maskSecret(secret));
  }
  return out;
}

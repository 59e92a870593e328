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

/**
 * Model names and the hints that name commands, kept apart from the providers so the
 * settings layer can tell a built-in local model from an API model without loading any.
 */

/** The built-in offline model; `local` is its alias in settings. */
export const LOCAL_MODEL = 'local-v1';
/** The built-in offline model with a shipped token table (opt-in). */
export const LOCAL_V2_MODEL = 'local-v2';

/** True for the models computed in process: choosing one sends nothing anywhere. */
export function isLocalModel(name: string): boolean {
  const trimmed = name.trim();
  return trimmed === 'local' || trimmed === LOCAL_MODEL || trimmed === LOCAL_V2_MODEL;
}

/** How to give gitctx an OpenAI key; each command works as pasted (with a real key). */
export const KEY_HELP = 'set OPENAI_API_KEY or run `gitctx config set --user api_keys.openai sk-...`';

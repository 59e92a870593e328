/**
 * Model names and the hints that name commands, kept apart from the providers so the
 * settings layer can tell a built-in local model from an API model without loading any.
 */

/**
 * The built-in offline models, computed in process. A new one is a new name here plus its
 * parameters in local.ts (the type checker asks for them); the provider registry serves every
 * name in this list.
 */
export const LOCAL_MODELS = ['local-v1', 'local-v2'] as const;

export type LocalModelName = (typeof LOCAL_MODELS)[number];

/** The weight-free hashing model: the first default, still selectable, its caches still valid. */
export const LOCAL_V1_MODEL: LocalModelName = 'local-v1';

/** The built-in offline model with a shipped token table. */
export const LOCAL_V2_MODEL: LocalModelName = 'local-v2';

/** The default local model; `local` is its alias in settings. */
export const LOCAL_MODEL: LocalModelName = LOCAL_V2_MODEL;

/** The name `local` stands for: the default local model. */
export const LOCAL_ALIAS = 'local';

/** The local model a settings value names (`local` is LOCAL_MODEL), or undefined for any other name. */
export function localModelNamed(name: string): LocalModelName | undefined {
  const trimmed = name.trim();
  if (trimmed === LOCAL_ALIAS) return LOCAL_MODEL;
  return LOCAL_MODELS.find((model) => model === trimmed);
}

/** True for the models computed in process: choosing one sends nothing anywhere. */
export function isLocalModel(name: string): boolean {
  return localModelNamed(name) !== undefined;
}

/** How to give gitctx an OpenAI key; each command works as pasted (with a real key). */
export const KEY_HELP = 'set OPENAI_API_KEY or run `gitctx config set --user api_keys.openai sk-...`';

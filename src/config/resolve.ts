import { UsageError } from '../errors.js';
import { SECRET_KEYS, SETTING_KEYS, findSettingKey, settingsSchema, USER_ONLY_KEYS, USER_ONLY_SECTIONS } from './schema.js';
import type { Settings, SettingKey } from './schema.js';
import { displayUrl } from '../embed/mask.js';
import { assertRepoStorageOptions, maskStorageOptions } from './storage.js';

/** Where a setting's value came from, lowest precedence first. */
export type SettingSource = 'default' | 'repo' | 'user' | 'env' | 'flag';

/** One layer of raw settings: flat `section.key` → value, with a label for error messages. */
export interface SettingsLayer {
  source: Exclude<SettingSource, 'default'>;
  /** A file path or an env var list, used to say where a bad value is. */
  origin: string;
  values: ReadonlyMap<string, unknown>;
}

export interface ResolvedSettings {
  settings: Settings;
  sources: ReadonlyMap<string, SettingSource>;
  /** What the repository's file sets, whether or not a later layer overrides it (endpoint approval hashes these). */
  repoValues: ReadonlyMap<string, unknown>;
}

const validKeys = () => SETTING_KEYS.map((k) => k.key).join(', ');

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The key a typo most likely meant: same name in another section (`limit`), or a near miss (`serch.limit`). */
function suggestKey(key: string): string | undefined {
  const name = key.slice(key.lastIndexOf('.') + 1);
  const sameName = SETTING_KEYS.filter((k) => k.key.endsWith(`.${name}`));
  if (sameName.length === 1) return sameName[0]!.key;
  let best: { key: string; distance: number } | undefined;
  for (const { key: candidate } of SETTING_KEYS) {
    const distance = editDistance(key, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** The one message for a key the schema does not declare: a likely fix, then every valid key. */
export function unknownSettingError(key: string, origin?: string): UsageError {
  const suggestion = suggestKey(key);
  return new UsageError(
    `unknown setting "${key}"${origin === undefined ? '' : ` in ${origin}`}${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}; valid keys: ${validKeys()}`,
  );
}

/** Looks a key up, or throws the usage error that lists the valid ones. */
export function requireSettingKey(key: string, origin?: string): SettingKey {
  const def = findSettingKey(key);
  if (!def) throw unknownSettingError(key, origin);
  return def;
}

function numberBounds(leaf: SettingKey['schema']): { min?: number; minInclusive: boolean; max?: number; maxInclusive: boolean } {
  const bounds: { min?: number; minInclusive: boolean; max?: number; maxInclusive: boolean } = { minInclusive: true, maxInclusive: true };
  for (const check of leaf.def.checks ?? []) {
    const def = check._zod.def as { check: string; value?: unknown; inclusive?: boolean };
    if (typeof def.value !== 'number') continue;
    if (def.check === 'greater_than') Object.assign(bounds, { min: def.value, minInclusive: def.inclusive !== false });
    if (def.check === 'less_than') Object.assign(bounds, { max: def.value, maxInclusive: def.inclusive !== false });
  }
  return bounds;
}

/**
 * What a key accepts, in words, read from its schema so it cannot drift from what validation does:
 * "one of terse, verbose, mcp, json", "a whole number from 1 to 100", "an http or https URL".
 */
export function describeAllowed(def: SettingKey): string {
  // A key whose shape needs words of its own (a URI, name=value items) says so in its schema.
  if (def.schema.description !== undefined) return def.schema.description;
  if (def.values) return `one of ${def.values.join(', ')}`;
  if (def.kind === 'boolean') return 'true or false';
  if (def.kind === 'list') {
    const min = (def.schema.def.checks ?? []).some((c) => (c._zod.def as { check: string }).check === 'min_length');
    return `a comma-separated list${min ? ' of at least one item' : ''} (or a JSON array)`;
  }
  if (def.kind === 'number') {
    const integer = (def.schema as unknown as { isInt?: boolean }).isInt === true;
    const { min, minInclusive, max, maxInclusive } = numberBounds(def.schema);
    // An integer above 0 is an integer from 1: say it the way people count.
    const low = min === undefined ? undefined : integer && !minInclusive ? min + 1 : min;
    const high = max === undefined ? undefined : integer && !maxInclusive ? max - 1 : max;
    const what = integer ? 'a whole number' : 'a number';
    if (low !== undefined && high !== undefined && (integer || (minInclusive && maxInclusive))) return `${what} from ${low} to ${high}`;
    if (low !== undefined && (integer || minInclusive)) return `${what}, ${low} or more`;
    if (high !== undefined && (integer || maxInclusive)) return `${what}, ${high} or less`;
    return what;
  }
  if ((def.schema as unknown as { format?: string | null }).format === 'url') return 'an http or https URL';
  return 'a non-empty string';
}

const MAX_SHOWN_CHARS = 80;

/** How a rejected value is quoted in an error: never a secret, always what the user typed. */
function showRejected(key: string, value: unknown, raw: string | undefined): string {
  if (SECRET_KEYS.has(key) || USER_ONLY_SECTIONS.has(key.split('.')[0] ?? '')) return 'the given value';
  if ((key === 'model.base_url' || key === 'model.hub_url') && typeof (raw ?? value) === 'string') return JSON.stringify(displayUrl(String(raw ?? value)));
  if (key === 'index.storage_options') return Array.isArray(value) ? JSON.stringify(maskStorageOptions(value)) : 'the given value';
  const shown = JSON.stringify(raw ?? value) ?? String(value);
  // An error is one line a person reads: a pasted file or a huge list is cut, not echoed whole.
  return shown.length > MAX_SHOWN_CHARS ? `${shown.slice(0, MAX_SHOWN_CHARS)}… (${shown.length} characters)` : shown;
}

/**
 * Checks one value against its key's schema; the error names the key, the origin and what is allowed.
 * `raw`, when given, is the text the value was parsed from, quoted instead of the parsed value.
 */
export function validateSetting(key: string, value: unknown, origin: string, raw?: string): unknown {
  const def = requireSettingKey(key, origin);
  const result = def.schema.safeParse(value);
  if (!result.success) {
    throw new UsageError(`invalid value ${showRejected(def.key, value, raw)} for ${key} in ${origin}: must be ${describeAllowed(def)}`);
  }
  return result.data;
}

/**
 * Parses a value typed on a command line or in an env var into the key's type. A list is
 * comma-separated, or a JSON array when an item itself holds a comma (`["*.{js,ts}"]`).
 */
export function parseSettingString(key: string, raw: string, origin: string): unknown {
  const def = requireSettingKey(key, origin);
  let value: unknown = raw;
  if (def.kind === 'number') value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (def.kind === 'list') value = parseList(raw);
  if (def.kind === 'boolean') value = raw.trim() === 'true' ? true : raw.trim() === 'false' ? false : raw;
  return validateSetting(key, value, origin, raw);
}

function parseList(raw: string): unknown {
  const text = raw.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    // A glob may itself start with a bracket class (`[ab]*.ts`): only a valid JSON array is read as one.
    const parsed = parseJsonOrUndefined(text);
    if (Array.isArray(parsed)) return parsed;
  }
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Flattens a parsed YAML document into `section.key` entries, rejecting unknown shapes. */
export function flattenSettingsDocument(doc: unknown, origin: string, source: SettingsLayer['source']): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  if (doc === null || doc === undefined) return flat;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UsageError(`${origin}: expected a mapping of sections (model, index, cache, search, api_keys)`);
  }
  for (const [section, body] of Object.entries(doc)) {
    // Own keys only: `constructor` or `__proto__` must not pass for a section.
    if (!Object.hasOwn(settingsSchema.shape, section)) {
      const suggestion = SETTING_KEYS.find((k) => editDistance(k.key.split('.')[0]!, section) <= 2)?.key.split('.')[0];
      throw new UsageError(
        `${origin}: unknown section "${section}"${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}; valid keys: ${validKeys()}`,
      );
    }
    if (source === 'repo' && USER_ONLY_SECTIONS.has(section)) {
      const name = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
      const key = name === undefined ? 'KEY' : `${section}.${name}`;
      throw new UsageError(
        `${origin}: "${section}" is not allowed in the repo config, which is committed: remove it there and run \`gitctx config set --user ${key} VALUE\``,
      );
    }
    if (body === null || body === undefined) continue;
    if (typeof body !== 'object' || Array.isArray(body)) throw new UsageError(`${origin}: section "${section}" must be a mapping`);
    for (const [name, value] of Object.entries(body)) {
      const key = `${section}.${name}`;
      if (source === 'repo' && USER_ONLY_KEYS.has(key)) {
        throw new UsageError(
          `${origin}: "${key}" is not allowed in the repo config, which is committed: remove it there and run \`gitctx config set --user ${key} VALUE\``,
        );
      }
      flat.set(key, validateSetting(key, value, origin));
      if (source === 'repo' && key === 'index.storage_options') assertRepoStorageOptions(flat.get(key) as unknown[], origin);
    }
  }
  return flat;
}

/** The OpenAI client's own variables, read as settings; a `GITCTX_` name for the same key wins. */
export const ENV_ALIASES: ReadonlyMap<string, string> = new Map([
  ['OPENAI_API_KEY', 'api_keys.openai'],
  ['OPENAI_BASE_URL', 'model.base_url'],
  // The Hugging Face clients' own names for the hub and its token.
  ['HF_ENDPOINT', 'model.hub_url'],
  ['HF_TOKEN', 'api_keys.huggingface'],
]);

/** `search.min_score` → `GITCTX_SEARCH__MIN_SCORE`. */
export function envNameOf(key: string): string {
  const [section, name] = key.split('.') as [string, string];
  return `GITCTX_${section.toUpperCase()}__${name.toUpperCase()}`;
}

/** The variable that sets `key` in `env`, with the precedence settingsFromEnv applies; undefined when none does. */
export function envVariableFor(key: string, env: NodeJS.ProcessEnv): string | undefined {
  const own = envNameOf(key);
  if (env[own] !== undefined) return own;
  for (const [name, aliased] of ENV_ALIASES) if (aliased === key && env[name] !== undefined && env[name] !== '') return name;
  return undefined;
}

/** Environment variables: `GITCTX_<SECTION>__<KEY>`, plus the OpenAI and Hugging Face clients' own (ENV_ALIASES). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): SettingsLayer {
  const values = new Map<string, unknown>();
  const names: string[] = [];
  for (const [name, key] of ENV_ALIASES) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') {
      values.set(key, parseSettingString(key, raw, `$${name}`));
      names.push(name);
    }
  }
  for (const [name, raw] of Object.entries(env)) {
    const match = /^GITCTX_([A-Z0-9_]+?)__([A-Z0-9_]+)$/.exec(name);
    if (!match || raw === undefined) continue;
    const key = `${match[1]!.toLowerCase()}.${match[2]!.toLowerCase()}`;
    values.set(key, parseSettingString(key, raw, `$${name}`));
    names.push(name);
  }
  return { source: 'env', origin: names.join(', ') || 'environment', values };
}

function setPath(target: Record<string, Record<string, unknown>>, key: string, value: unknown): void {
  const [section, name] = key.split('.') as [string, string];
  (target[section] ??= {})[name] = value;
}

/**
 * Merges layers (later wins) over the schema's defaults. Pure: the loader does the reading.
 */
export function resolveSettings(layers: readonly SettingsLayer[]): ResolvedSettings {
  const merged: Record<string, Record<string, unknown>> = {};
  const sources = new Map<string, SettingSource>(SETTING_KEYS.map((k) => [k.key, 'default']));
  const repoValues = new Map<string, unknown>();
  for (const layer of layers) {
    for (const [key, value] of layer.values) {
      validateSetting(key, value, layer.origin);
      setPath(merged, key, value);
      sources.set(key, layer.source);
      if (layer.source === 'repo') repoValues.set(key, value);
    }
  }
  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`invalid settings: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return { settings: parsed.data, sources, repoValues };
}

/** A setting's current value by key, for `config get` and `config list`. */
export function settingValue(settings: Settings, key: string): unknown {
  const [section, name] = key.split('.') as [keyof Settings, string];
  return (settings[section] as Record<string, unknown> | undefined)?.[name];
}

import { UsageError } from '../errors.js';
import { SETTING_KEYS, findSettingKey, settingsSchema, USER_ONLY_SECTIONS } from './schema.js';
import type { Settings, SettingKey } from './schema.js';

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
}

const validKeys = () => SETTING_KEYS.map((k) => k.key).join(', ');

function describeAllowed(def: SettingKey): string {
  if (def.values) return `one of ${def.values.join(', ')}`;
  const check = def.schema.safeParse(undefined);
  const issue = check.success ? undefined : check.error.issues[0];
  return issue ? issue.message.replace(/^Invalid input: /, '') : def.kind;
}

/** Checks one value against its key's schema; the error names the key, the origin and what is allowed. */
export function validateSetting(key: string, value: unknown, origin: string): unknown {
  const def = findSettingKey(key);
  if (!def) throw new UsageError(`unknown setting "${key}" in ${origin}; valid keys: ${validKeys()}`);
  const result = def.schema.safeParse(value);
  if (!result.success) {
    const shown = def.key.startsWith('api_keys.') ? 'the given value' : JSON.stringify(value);
    const allowed = def.values ? `one of ${def.values.join(', ')}` : (result.error.issues[0]?.message ?? describeAllowed(def));
    throw new UsageError(`invalid value ${shown} for ${key} in ${origin}: ${allowed.replace(/^Invalid input: /, '')}`);
  }
  return result.data;
}

/** Parses a value typed on a command line or in an env var into the key's type. */
export function parseSettingString(key: string, raw: string, origin: string): unknown {
  const def = findSettingKey(key);
  if (!def) throw new UsageError(`unknown setting "${key}" in ${origin}; valid keys: ${validKeys()}`);
  let value: unknown = raw;
  if (def.kind === 'number') value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (def.kind === 'list') value = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return validateSetting(key, value, origin);
}

/** Flattens a parsed YAML document into `section.key` entries, rejecting unknown shapes. */
export function flattenSettingsDocument(doc: unknown, origin: string, source: SettingsLayer['source']): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  if (doc === null || doc === undefined) return flat;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UsageError(`${origin}: expected a mapping of sections (model, index, cache, search, api_keys)`);
  }
  for (const [section, body] of Object.entries(doc)) {
    if (!(section in settingsSchema.shape)) {
      throw new UsageError(`${origin}: unknown section "${section}"; valid keys: ${validKeys()}`);
    }
    if (source === 'repo' && USER_ONLY_SECTIONS.has(section)) {
      throw new UsageError(`${origin}: "${section}" is not allowed in the repo config, which is committed; use \`gitctx config set --user\``);
    }
    if (body === null || body === undefined) continue;
    if (typeof body !== 'object' || Array.isArray(body)) throw new UsageError(`${origin}: section "${section}" must be a mapping`);
    for (const [name, value] of Object.entries(body)) {
      const key = `${section}.${name}`;
      flat.set(key, validateSetting(key, value, origin));
    }
  }
  return flat;
}

/** Environment variables: `GITCTX_<SECTION>__<KEY>`, plus the OpenAI client's own two. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): SettingsLayer {
  const values = new Map<string, unknown>();
  const names: string[] = [];
  const aliases: [string, string][] = [
    ['OPENAI_API_KEY', 'api_keys.openai'],
    ['OPENAI_BASE_URL', 'model.base_url'],
  ];
  for (const [name, key] of aliases) {
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
  for (const layer of layers) {
    for (const [key, value] of layer.values) {
      validateSetting(key, value, layer.origin);
      setPath(merged, key, value);
      sources.set(key, layer.source);
    }
  }
  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`invalid settings: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return { settings: parsed.data, sources };
}

/** A setting's current value by key, for `config get` and `config list`. */
export function settingValue(settings: Settings, key: string): unknown {
  const [section, name] = key.split('.') as [keyof Settings, string];
  return (settings[section] as Record<string, unknown> | undefined)?.[name];
}

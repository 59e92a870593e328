import { maskSecret } from '../embed/mask.js';
import { settingDoc } from './docs.js';
import { envVariableFor, settingValue } from './resolve.js';
import type { ResolvedSettings, SettingSource } from './resolve.js';
import { SECRET_KEYS, SETTING_KEYS } from './schema.js';
import { maskStorageOptions } from './storage.js';
import { printable } from '../printable.js';

/** A value as it may be shown: secrets masked (first and last three characters), nothing else changed. */
export function shownValue(key: string, value: unknown): unknown {
  if (key === 'index.storage_options' && Array.isArray(value)) return maskStorageOptions(value);
  return SECRET_KEYS.has(key) && typeof value === 'string' ? maskSecret(value) : value;
}

/**
 * A value in the form `config set` and env variables take back: a list is comma-separated, or a JSON
 * array when it is empty or an item holds a comma or edge spaces that splitting would lose.
 * Undefined (an optional key left unset) is no text at all.
 */
export function formatValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(String);
    const plain = items.length > 0 && items.every((item) => !item.includes(',') && item.trim() === item && item !== '');
    return plain ? items.join(',') : JSON.stringify(items);
  }
  return String(value);
}

/** One value as `config get` prints it: secrets masked, then formatValue. */
export function formatSettingValue(key: string, value: unknown): string | undefined {
  return formatValue(shownValue(key, value));
}

export interface SettingEntry {
  key: string;
  /** Masked when secret; null when unset. */
  value: unknown;
  source: SettingSource;
  /** The file or variable the value came from; null for a default. */
  origin: string | null;
  description: string;
}

export interface SettingOrigins {
  repoFile?: string;
  userFile: string;
  env: NodeJS.ProcessEnv;
}

function originOf(key: string, source: SettingSource, origins: SettingOrigins): string | null {
  switch (source) {
    case 'repo':
      return origins.repoFile ?? null;
    case 'user':
      return origins.userFile;
    case 'env':
      return envVariableFor(key, origins.env) ?? null;
    case 'flag':
      return 'command line';
    case 'default':
      return null;
  }
}

/** Every key in schema order with its effective value and where that value came from. */
export function settingEntries(resolved: ResolvedSettings, origins: SettingOrigins): SettingEntry[] {
  return SETTING_KEYS.map(({ key }) => {
    const source = resolved.sources.get(key) ?? 'default';
    return {
      key,
      value: shownValue(key, settingValue(resolved.settings, key)) ?? null,
      source,
      origin: originOf(key, source, origins),
      description: settingDoc(key)?.text ?? '',
    };
  });
}

/** Only what one file sets, in schema order, for `config list --user`. */
export function fileEntries(values: ReadonlyMap<string, unknown>, source: 'repo' | 'user', path: string): SettingEntry[] {
  return SETTING_KEYS.filter(({ key }) => values.has(key)).map(({ key }) => ({
    key,
    value: shownValue(key, values.get(key)) ?? null,
    source,
    origin: path,
    description: settingDoc(key)?.text ?? '',
  }));
}

/** `key  value  source` in aligned columns; an unset optional key shows `(unset)` so every row has three. */
export function formatSettingsTable(entries: readonly SettingEntry[]): string {
  // Values come from settings files a cloned repository writes: neutralised, one line each.
  const rows = entries.map((entry) => [entry.key, printable(formatValue(entry.value) ?? '(unset)'), entry.source] as const);
  const keyWidth = Math.max(0, ...rows.map(([key]) => key.length));
  const valueWidth = Math.max(0, ...rows.map(([, value]) => value.length));
  return rows.map(([key, value, source]) => `${key.padEnd(keyWidth)}  ${value.padEnd(valueWidth)}  ${source}\n`).join('');
}

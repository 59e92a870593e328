import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { parseDocument } from 'yaml';
import { UsageError } from '../errors.js';
import { flattenSettingsDocument, resolveSettings, settingsFromEnv } from './resolve.js';
import type { ResolvedSettings, SettingsLayer } from './resolve.js';
import { readBounded } from '../fs-read.js';
import { Workspace } from '../workspace/index.js';


/** `~/.gitctx`, or `$GITCTX_HOME`. */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GITCTX_HOME && env.GITCTX_HOME !== '' ? env.GITCTX_HOME : join(homedir(), '.gitctx');
}

export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDir(env), 'config.yml');
}

export function repoConfigPath(repoRoot: string): string {
  return new Workspace(repoRoot).configFile;
}

/** Reads one YAML settings file into a layer; a missing file is an empty layer. */
export async function readSettingsFile(path: string, source: 'repo' | 'user'): Promise<SettingsLayer> {
  const text = await readSettingsText(path, source);
  if (text === undefined) return { source, origin: path, values: new Map() };
  // Loaded only when there is a file to parse: most searches read none, and the parser is a
  // tenth of a second of start-up.
  const { parseDocument } = await import('yaml');
  return { source, origin: path, values: flattenSettingsDocument(parseSettingsYaml(text, path, parseDocument), path, source) };
}

const MAX_SETTINGS_CHARS = 64 * 1024;
const MAX_FLOW_DEPTH = 16;

/** Deepest nesting of `[`/`{` (quotes and comments not told apart: an upper bound is enough). */
function flowDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return deepest;
}

/**
 * A settings file's text, undefined when there is none. Bounded before it is read (a
 * committed link to /dev/zero or a FIFO must not hang or exhaust anything); the repo file
 * arrives through `git pull`, so a link there is refused, while the user's own file may be
 * a link (dotfile managers make them). The user file must be private: it may hold keys.
 */
export async function readSettingsText(path: string, source: 'repo' | 'user'): Promise<string | undefined> {
  const read = await readBounded(path, MAX_SETTINGS_CHARS * 4, { followLinks: source === 'user' });
  if (read.kind === 'absent') return undefined;
  if (read.kind === 'unusable') throw new UsageError(`${path}: cannot be read as a settings file (${read.reason})`);
  if (source === 'user') await assertPrivate(path);
  return new TextDecoder().decode(read.bytes);
}

/** Aliases expanded at most this many times: a settings file needs none, and more is a bomb. */
const MAX_ALIAS_COUNT = 100;

/**
 * A settings file's YAML as plain data. Anything the file's author could not have meant
 * plainly (syntax errors, unknown tags such as `!shell`, dangling or exploding aliases)
 * is a one-line UsageError naming the file, never a warning printed by the library.
 */
export function parseSettingsYaml(text: string, origin: string, parse: typeof parseDocument): unknown {
  // Settings files are small and flat; a huge or deeply nested one is hostile, and the
  // YAML parser itself can exhaust memory on one (committed files are untrusted).
  if (text.length > MAX_SETTINGS_CHARS) {
    throw new UsageError(`${origin}: ${text.length} characters is too large for a settings file (at most ${MAX_SETTINGS_CHARS})`);
  }
  if (flowDepth(text) > MAX_FLOW_DEPTH) {
    throw new UsageError(`${origin}: nested more than ${MAX_FLOW_DEPTH} levels deep; settings are section: key: value`);
  }
  const doc = parse(text, { prettyErrors: false });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    throw new UsageError(`${origin}: not valid YAML (${problem.message.split('\n')[0] ?? 'parse error'})`);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The library reports dangling and exploding aliases as plain errors while building the data.
    throw new UsageError(`${origin}: not valid YAML (${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)})`);
  }
}

/** The user file may hold API keys, so it must not be readable by others. */
export async function assertPrivate(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new UsageError(
      `${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); it may hold API keys: run \`chmod 600 ${path}\``,
    );
  }
}

export interface LoadSettingsOptions {
  /** Repository root; without one, only user, env and flags apply. */
  repoRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line overrides, flat `section.key` → already-parsed value. */
  flags?: ReadonlyMap<string, unknown>;
}

/** defaults < repo `.gitctx/config.yml` < user `~/.gitctx/config.yml` < env `GITCTX_SECTION__KEY` < flags. */
export async function loadSettings(options: LoadSettingsOptions = {}): Promise<ResolvedSettings> {
  const env = options.env ?? process.env;
  const layers: SettingsLayer[] = [];
  if (options.repoRoot !== undefined) {
    // A linked `.gitctx` would have us read settings from wherever the link points.
    await new Workspace(options.repoRoot).checkTop();
    layers.push(await readSettingsFile(repoConfigPath(options.repoRoot), 'repo'));
  }
  layers.push(await readSettingsFile(userConfigPath(env), 'user'));
  layers.push(settingsFromEnv(env));
  if (options.flags) layers.push({ source: 'flag', origin: 'command line', values: options.flags });
  return resolveSettings(layers);
}

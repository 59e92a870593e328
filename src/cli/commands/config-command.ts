/**
 * `gitctx config`: read and change settings. Values are checked against the schema before any file
 * is touched, files are edited in place with their comments kept, and a secret is shown masked in
 * every line this command prints, errors included.
 *
 * stdout carries results only (`get`'s value, `list`'s table or JSON); what `init`, `set` and `unset`
 * did is said on stderr.
 */
import { Command } from 'commander';
import type * as ConfigIndex from '../../config/index.js';
import { maskSecret, redactSecrets } from '../../embed/mask.js';
import { GitctxError, NotARepositoryError, UsageError } from '../../errors.js';
import { printable } from '../../printable.js';

type ConfigModule = typeof ConfigIndex;

interface ScopeFlags {
  user?: boolean;
}

const SUBCOMMANDS = 'init, get, set, unset, list, trust or untrust';

/**
 * One run's output. Every line, on stdout or stderr, error or not, passes through the masking of the
 * secrets the run has learnt (env keys, keys in the user file, a key being set).
 */
class Output {
  readonly secrets: string[] = [];

  mask(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  print(text: string): void {
    process.stdout.write(this.mask(text));
  }

  /** One line about what was done; it may quote a value from a settings file, so it is neutralised. */
  say(line: string): void {
    process.stderr.write(`gitctx: ${printable(this.mask(line))}\n`);
  }

  /** The error with its message masked; the entry point prints it. */
  masked(err: unknown): unknown {
    if (!(err instanceof Error)) return err;
    const message = this.mask(err.message);
    if (message === err.message) return err;
    // No `cause`: it would carry the unmasked text to anyone who prints the chain.
    if (err instanceof GitctxError) return new GitctxError(message, err.exitCode);
    return Object.assign(new Error(message), { code: (err as NodeJS.ErrnoException).code });
  }
}

function guarded<A extends unknown[]>(action: (out: Output, ...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const out = new Output();
    try {
      await action(out, ...args);
    } catch (err) {
      throw out.masked(err);
    }
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The secrets this run could echo: from the environment, and from the user file read leniently (no
 * permission check, no validation), because the file being broken must not stop its keys being masked
 * in the error that says so.
 */
async function loadConfig(out: Output): Promise<ConfigModule> {
  const [config, { readFile }, { parseDocument }] = await Promise.all([
    import('../../config/index.js'),
    import('node:fs/promises'),
    import('yaml'),
  ]);
  for (const key of config.SECRET_KEYS) {
    for (const name of [config.envNameOf(key), ...[...config.ENV_ALIASES].filter(([, k]) => k === key).map(([n]) => n)]) {
      const value = process.env[name];
      if (value !== undefined && value !== '') out.secrets.push(value);
    }
  }
  const text = await readFile(config.userConfigPath(), 'utf8').catch((err: NodeJS.ErrnoException) => {
    // Missing or unreadable: the commands that need the file report that themselves.
    if (typeof err.code === 'string') return undefined;
    throw err;
  });
  if (text !== undefined) {
    const doc = parseDocument(text);
    for (const key of config.SECRET_KEYS) {
      const value: unknown = doc.getIn(key.split('.'));
      if (typeof value === 'string' && value !== '') out.secrets.push(value);
    }
    const seq = doc.getIn(['index', 'storage_options']) as { toJSON?: () => unknown } | undefined;
    const options = typeof seq?.toJSON === 'function' ? seq.toJSON() : undefined;
    if (Array.isArray(options)) out.secrets.push(...config.storageSecrets(options, {}));
  }
  // Object-storage credentials: from AWS_*/GOOGLE_*/AZURE_* variables and GITCTX_INDEX__STORAGE_OPTIONS.
  out.secrets.push(...config.storageSecrets((process.env.GITCTX_INDEX__STORAGE_OPTIONS ?? '').split(',')));
  return config;
}

/** The repository around the working directory; with `userFile` (named in the message), "not a repository" is exit 3. */
async function repoRoot(required?: { userFile: string }): Promise<string | undefined> {
  const { openRepository } = await import('../../git/index.js');
  try {
    return (await openRepository(process.cwd())).root;
  } catch (err) {
    if (!(err instanceof NotARepositoryError)) throw err;
    if (required === undefined) return undefined;
    throw new NotARepositoryError(`${err.message}; repo settings live in a repository's .gitctx/config.yml (--user edits ${required.userFile})`);
  }
}

interface Target {
  scope: 'repo' | 'user';
  path: string;
  root?: string;
}

async function targetFile(config: ConfigModule, flags: ScopeFlags): Promise<Target> {
  if (flags.user) return { scope: 'user', path: config.userConfigPath() };
  const root = (await repoRoot({ userFile: config.userConfigPath() }))!;
  return { scope: 'repo', path: config.repoConfigPath(root), root };
}

/** API keys may not go in the committed file: say so before anything else, and without the value. */
function assertScopeAllowed(config: ConfigModule, key: string, flags: ScopeFlags, verb: 'set' | 'unset'): void {
  const section = key.split('.')[0] ?? '';
  if (!flags.user && (config.USER_ONLY_SECTIONS.has(section) || config.USER_ONLY_KEYS.has(key))) {
    throw new UsageError(
      `${key} lives only in the user file, because .gitctx/config.yml is committed: run \`gitctx config ${verb} --user ${key}${verb === 'set' ? ' VALUE' : ''}\``,
    );
  }
}

async function createGitctxDir(target: Target): Promise<void> {
  if (target.root === undefined) return;
  const { Workspace } = await import('../../workspace/index.js');
  const workspace = new Workspace(target.root);
  await workspace.check();
  await workspace.ensure();
}

/**
 * After a write, says when the new value still does not apply here (a later layer sets the key) or when the
 * settings as a whole no longer load, which the next command would otherwise report out of context.
 */
async function reportEffective(config: ConfigModule, key: string, target: Target, out: Output, done: string, verb: 'set' | 'unset'): Promise<void> {
  const root = target.root ?? (await repoRoot());
  let resolved: Awaited<ReturnType<ConfigModule['loadSettings']>>;
  try {
    resolved = await config.loadSettings(root === undefined ? {} : { repoRoot: root });
  } catch (err) {
    if (!(err instanceof GitctxError)) throw err;
    out.say(`${done}; warning: settings do not load: ${(out.masked(err) as Error).message}`);
    return;
  }
  const source = resolved.sources.get(key) ?? 'default';
  const value = config.formatSettingValue(key, config.settingValue(resolved.settings, key)) ?? '(unset)';
  const order = ['default', 'repo', 'user', 'env', 'flag'];
  if (order.indexOf(source) > order.indexOf(target.scope)) {
    const origin = source === 'env' ? `$${config.envVariableFor(key, process.env) ?? 'environment'}` : config.userConfigPath();
    out.say(`${done}; note: ${key} is still ${value} here, from ${origin}, which takes precedence`);
  } else {
    out.say(verb === 'unset' ? `${done}; now ${value} (${source})` : done);
  }
}

async function runInit(out: Output, flags: ScopeFlags & { force?: boolean }): Promise<void> {
  const config = await loadConfig(out);
  const target = await targetFile(config, flags);
  if (!flags.force && (await config.settingsFileExists(target.path))) {
    throw new UsageError(
      `${target.path} already exists; \`gitctx config set${flags.user ? ' --user' : ''} KEY VALUE\` changes one setting, --force replaces the file (its settings and comments are lost)`,
    );
  }
  await createGitctxDir(target);
  await config.writeSettingsText(target.path, config.configTemplate(target.scope), target.scope);
  out.say(`wrote ${target.path}: every setting, commented out at its default`);
}

async function runGet(out: Output, key: string): Promise<void> {
  const config = await loadConfig(out);
  config.requireSettingKey(key);
  const root = await repoRoot();
  const resolved = await config.loadSettings(root === undefined ? {} : { repoRoot: root });
  const text = config.formatSettingValue(key, config.settingValue(resolved.settings, key));
  // Unset and optional: no output at all, so `$(gitctx config get KEY)` is simply empty.
  if (text !== undefined) out.print(`${printable(text)}\n`);
}

async function runSet(out: Output, key: string, given: string, flags: ScopeFlags): Promise<void> {
  const config = await loadConfig(out);
  config.requireSettingKey(key);
  assertScopeAllowed(config, key, flags, 'set');
  // `-` reads a secret from stdin, so it stays out of shell history and the process list.
  const value = config.SECRET_KEYS.has(key) && given === '-' ? (await readStdin()).replace(/\r?\n$/, '') : given;
  if (config.SECRET_KEYS.has(key)) out.secrets.push(value);
  else if (out.secrets.includes(value.trim())) {
    // A key pasted into the wrong setting would be written in clear, in the repo's case into a committed file.
    throw new UsageError(`refusing to write an API key (${maskSecret(value.trim())}) as ${key}: keys go only in api_keys.*, in the user file`);
  }
  const parsed = config.parseSettingString(key, value, given === '-' ? 'stdin' : 'the command line');
  const target = await targetFile(config, flags);
  // A credential among storage options must not reach the committed file, even for a moment.
  if (target.scope === 'repo' && key === 'index.storage_options') config.assertRepoStorageOptions(parsed as unknown[], target.path);
  const before = await config.readSettingsText(target.path, target.scope);
  const { text } = config.setSettingInText(before, key, parsed, target.path);
  if (text !== before) {
    await createGitctxDir(target);
    await config.writeSettingsText(target.path, text, target.scope);
  }
  const shown = config.formatSettingValue(key, parsed) ?? '';
  await reportEffective(config, key, target, out, `set ${key} = ${shown} in ${target.path}`, 'set');
}

async function runUnset(out: Output, key: string, flags: ScopeFlags): Promise<void> {
  const config = await loadConfig(out);
  config.requireSettingKey(key);
  assertScopeAllowed(config, key, flags, 'unset');
  const target = await targetFile(config, flags);
  const before = await config.readSettingsText(target.path, target.scope);
  const result = before === undefined ? undefined : config.unsetSettingInText(before, key, target.path);
  if (!result?.removed) {
    out.say(`${key} is not set in ${target.path}; nothing to do`);
    return;
  }
  await config.writeSettingsText(target.path, result.text, target.scope);
  await reportEffective(config, key, target, out, `unset ${key} in ${target.path}`, 'unset');
}

async function runList(out: Output, flags: ScopeFlags & { json?: boolean }): Promise<void> {
  const config = await loadConfig(out);
  const userFile = config.userConfigPath();
  const root = await repoRoot();
  const repoFile = root === undefined ? undefined : config.repoConfigPath(root);
  let entries;
  if (flags.user) {
    const layer = await config.readSettingsFile(userFile, 'user');
    entries = config.fileEntries(layer.values, 'user', userFile);
  } else {
    const resolved = await config.loadSettings(root === undefined ? {} : { repoRoot: root });
    entries = config.settingEntries(resolved, { ...(repoFile !== undefined ? { repoFile } : {}), userFile, env: process.env });
  }
  if (flags.json) {
    out.print(`${JSON.stringify({ repo_file: repoFile ?? null, user_file: userFile, settings: entries })}\n`);
    return;
  }
  if (entries.length === 0) out.say(`${userFile} sets nothing`);
  out.print(config.formatSettingsTable(entries));
}

/** The repository around the working directory, for approving or withdrawing its endpoint. */
async function repoToApprove(verb: string): Promise<string> {
  const { openRepository } = await import('../../git/index.js');
  try {
    return (await openRepository(process.cwd())).root;
  } catch (err) {
    if (!(err instanceof NotARepositoryError)) throw err;
    throw new NotARepositoryError(`${err.message}; run \`gitctx config ${verb}\` inside the repository`);
  }
}

async function runTrust(out: Output, flags: { list?: boolean; json?: boolean }): Promise<void> {
  const config = await loadConfig(out);
  if (flags.list || flags.json) {
    const approvals = await config.readApprovals(config.approvalsPath());
    if (flags.json) {
      out.print(`${JSON.stringify({ file: config.approvalsPath(), approvals })}\n`);
      return;
    }
    if (approvals.length === 0) out.say(`no repository's endpoint is approved (${config.approvalsPath()})`);
    for (const a of approvals) out.print(`${printable(`${a.root}\t${config.describeRequest(a)}\t${a.approved_at}`)}\n`);
    return;
  }
  const root = await repoToApprove('trust');
  const resolved = await config.loadSettings({ repoRoot: root });
  const request = config.approvalRequest(resolved);
  if (request === undefined) {
    out.say('nothing to approve: this repository\'s settings send nothing to an endpoint you did not choose');
    return;
  }
  const approval = await config.approve(root, request);
  out.say(
    `approved ${config.describeRequest(request)} for ${printable(approval.root)}, until its endpoint settings change` +
      `${config.keyMayBeSent(resolved) ? '' : '; your OpenAI key is never sent there'} (\`gitctx config untrust\` withdraws this)`,
  );
}

async function runUntrust(out: Output, dir: string | undefined): Promise<void> {
  const config = await loadConfig(out);
  const { resolve } = await import('node:path');
  let root: string;
  if (dir === undefined) root = await repoToApprove('untrust');
  else {
    // A repository that has since been deleted is still named by its recorded path.
    const { openRepository } = await import('../../git/index.js');
    root = await openRepository(resolve(dir)).then(
      (repo) => repo.root,
      () => resolve(dir),
    );
  }
  const removed = await config.revoke(root);
  out.say(removed ? `withdrew the approval of ${root}'s endpoint` : `${root} has no approval to withdraw; nothing to do`);
}

const KEY_HELP = 'section.key, e.g. search.limit (`gitctx config list` shows them all)';

export function configCommand(): Command {
  const init = new Command('init')
    .description('write a settings file with every key commented out at its default, each with a one-line explanation')
    .option('--user', 'write the user file (~/.gitctx/config.yml, or $GITCTX_HOME/config.yml; mode 0600) instead of the repo file')
    .option('--force', 'replace an existing file (its settings and comments are lost)')
    .addHelpText(
      'after',
      `
Writes .gitctx/config.yml in the repository (committed, shared) unless --user. Refuses to replace an
existing file without --force.

Examples:
  gitctx config init
  gitctx config init --user
  gitctx config init --force`,
    )
    .action(guarded(runInit));

  const get = new Command('get')
    .description('print the value that applies here, after every layer (secrets masked)')
    .argument('<key>', KEY_HELP)
    .addHelpText(
      'after',
      `
Lists print comma-separated (a JSON array if empty or an item holds a comma), the form \`set\` takes.
An optional key that is not set prints nothing (exit 0). API keys print masked: sk-...xyz.

Examples:
  gitctx config get search.limit
  gitctx config get index.exclude
  gitctx config get api_keys.openai      # masked`,
    )
    .action(guarded(runGet));

  const set = new Command('set')
    .description('set a key in the repo file (or the user file with --user), keeping the file\'s comments')
    .argument('<key>', KEY_HELP)
    .argument('<value>', 'the value; a list is comma-separated or a JSON array; for api_keys.*, - reads it from stdin')
    .option('--user', 'edit the user file (~/.gitctx/config.yml, mode 0600): required for api_keys.*')
    .addHelpText(
      'after',
      `
The value is checked first: an unknown key or a bad value exits 2 with the valid keys or values.
What was set is said on stderr (API keys masked), with a note when a later layer still overrides it.

Examples:
  gitctx config set search.limit 20
  gitctx config set model.embedding text-embedding-3-small
  gitctx config set index.exclude 'docs/**,*.snap'
  gitctx config set index.exclude '["*.{js,ts}", "vendor/**"]'
  gitctx config set --user api_keys.openai - < key.txt    # not in shell history`,
    )
    .action(guarded(runSet));

  const unset = new Command('unset')
    .description('remove a key from the repo file (or the user file with --user), so the next layer down applies')
    .argument('<key>', KEY_HELP)
    .option('--user', 'edit the user file (~/.gitctx/config.yml)')
    .addHelpText(
      'after',
      `
The key's comments stay. A key that the file does not set is not an error.

Examples:
  gitctx config unset search.limit
  gitctx config unset --user api_keys.openai`,
    )
    .action(guarded(runUnset));

  const list = new Command('list')
    .description('show every key with its value and source (default, repo, user, env or flag); secrets masked')
    .option('--user', 'show only what the user file sets')
    .option('--json', 'print one JSON document: {"repo_file", "user_file", "settings": [{"key", "value", "source", "origin", "description"}]}')
    .addHelpText(
      'after',
      `
Works outside a repository too (then no repo layer applies). An unset optional key shows "(unset)".

Examples:
  gitctx config list
  gitctx config list --user
  gitctx config list --json | jq '.settings[] | select(.source != "default")'`,
    )
    .action(guarded(runList));

  const trust = new Command('trust')
    .description('approve the endpoint this repository\'s .gitctx/config.yml sends code and queries to')
    .option('--list', 'list every approved repository and its endpoint instead')
    .option('--json', 'with --list: one JSON document {"file", "approvals": [{"root", "hash", "endpoint", "model", "approved_at"}]}')
    .addHelpText(
      'after',
      `
A repository's own settings choose where code and queries go (model.base_url, an API model) only
once you approve them here. The approval is recorded for this repository (its real path) in
$GITCTX_HOME/trusted.json (~/.gitctx/trusted.json), bound to those exact settings: when they change,
index, search and mcp stop and ask again. Your OpenAI key is never sent to an endpoint a repository
chose; settings you make yourself (--user, environment) need no approval.

Examples:
  gitctx config trust
  gitctx config trust --list
  gitctx config untrust`,
    )
    .action(guarded(runTrust));

  const untrust = new Command('untrust')
    .description('withdraw the approval of this repository\'s endpoint (or of the repository at DIR)')
    .argument('[dir]', 'the repository, or a path recorded by `gitctx config trust --list` (default: the one here)')
    .action(guarded(runUntrust));

  const config = new Command('config')
    .helpOption('-h, --help', 'show help')
    .description('read and change settings: .gitctx/config.yml (repo), ~/.gitctx/config.yml (user), GITCTX_<SECTION>__<KEY> (env)')
    .usage('<command> [options]')
    .argument('[command]')
    .addHelpText(
      'after',
      `
Precedence: defaults < .gitctx/config.yml < ~/.gitctx/config.yml ($GITCTX_HOME moves it) <
GITCTX_<SECTION>__<KEY> (e.g. GITCTX_SEARCH__LIMIT=20; OPENAI_API_KEY, OPENAI_BASE_URL too) < flags.

Examples:
  gitctx config init
  gitctx config list
  gitctx config get search.mode
  gitctx config set search.limit 20
  gitctx config set --user api_keys.openai sk-...
  gitctx config unset search.limit
  gitctx config trust            approve the endpoint this repository's settings name`,
    )
    .action((command: string | undefined) => {
      throw new UsageError(
        command === undefined
          ? `config needs a command: ${SUBCOMMANDS} (gitctx config --help)`
          : `unknown config command "${command}": use ${SUBCOMMANDS}`,
      );
    });
  for (const sub of [init, get, set, unset, list, trust, untrust]) config.addCommand(sub.helpOption('-h, --help', 'show help').exitOverride());
  return config;
}

/**
 * Every command gitctx suggests works when pasted, and a dry run needs neither a key nor a server.
 *
 * The hints printed on failure are captured from stderr and run as printed (placeholders such as
 * `sk-...`, KEY and VALUE replaced by real values); every `gitctx ...` command written in the
 * source is checked against the real command tree (subcommands, options, argument counts).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';

const KEY = 'sk-pasted-Zr5kW8mQ2xLc4Tb9';
const FILES = {
  'src/a.ts': 'export function alpha(x: number): number {\n  return x * 2;\n}\n',
  'src/b.py': 'def beta(items):\n    return sorted(items)\n',
};

function home(): string {
  return join(track(makeTempDir('gitctx-hints-home-')).dir, '.gitctx');
}

/** The one backticked `gitctx ...` command in a message, with its placeholders filled in. */
function pasteable(stderr: string): string[] {
  const commands = [...stderr.matchAll(/`(gitctx [^`]+)`/g)].map((m) => m[1]!);
  expect(commands, stderr).toHaveLength(1);
  const command = commands[0]!;
  const value = command.includes('api_keys.') ? KEY : '5';
  return command
    .replace('sk-...', KEY)
    .replace('KEY', 'search.limit')
    .replace('VALUE', value)
    .split(' ')
    .slice(1);
}

async function runHint(failed: CliResult, cwd: string, env: Record<string, string>): Promise<CliResult> {
  const pasted = await runCliInProcess(pasteable(failed.stderr), { cwd, env });
  expect(pasted.code, `${pasteable(failed.stderr).join(' ')}: ${pasted.stderr}`).toBe(0);
  return pasted;
}

describe('hints printed on failure work when pasted', () => {
  it('the missing-key hint sets the key', async () => {
    const repo = track(makeRepo({ files: FILES }));
    const env = { GITCTX_HOME: home(), GITCTX_MODEL__EMBEDDING: 'text-embedding-3-small' };
    // Not the dry run (it needs no key): a real index stops before sending anything.
    const failed = await runCli(['index'], { cwd: repo.dir, env });
    expect(failed.code, failed.stderr).toBe(4);
    await runHint(failed, repo.dir, env);
    const got = await runCliInProcess(['config', 'get', 'api_keys.openai'], { cwd: repo.dir, env });
    expect(got.stdout).toBe('sk-...Tb9\n');
  });

  it('the hint for a key set in the committed file sets it in the user file', async () => {
    const repo = track(makeRepo({ files: FILES }));
    const env = { GITCTX_HOME: home() };
    const failed = await runCli(['config', 'set', 'api_keys.openai', KEY], { cwd: repo.dir, env });
    expect(failed.code, failed.stderr).toBe(2);
    await runHint(failed, repo.dir, env);
  });

  it('the hint for a key committed in .gitctx/config.yml sets it in the user file', async () => {
    const repo = track(makeRepo({ files: { ...FILES, '.gitctx/config.yml': `api_keys:\n  openai: ${KEY}\n` } }));
    const env = { GITCTX_HOME: home() };
    const failed = await runCli(['index'], { cwd: repo.dir, env });
    expect(failed.code, failed.stderr).toBe(2);
    expect(failed.stderr).not.toContain(KEY);
    await runHint(failed, repo.dir, env);
  });

  it('the hint of `config init` over an existing file changes one setting', async () => {
    const repo = track(makeRepo({ files: { ...FILES, '.gitctx/config.yml': 'search:\n  limit: 3\n' } }));
    const env = { GITCTX_HOME: home() };
    const failed = await runCliInProcess(['config', 'init'], { cwd: repo.dir, env });
    expect(failed.code, failed.stderr).toBe(2);
    await runHint(failed, repo.dir, env);
  });

  it('the no-index hint builds the index', async () => {
    const repo = track(makeRepo({ files: FILES }));
    const env = { GITCTX_HOME: home() };
    const failed = await runCliInProcess(['search', 'alpha'], { cwd: repo.dir, env });
    expect(failed.code, failed.stderr).toBe(8);
    await runHint(failed, repo.dir, env);
  });
});

describe('index --dry-run needs no key and sends nothing', () => {
  it('a known API model without a key: exit 0, tokens and cost from the model table', async () => {
    const repo = track(makeRepo({ files: FILES }));
    const result = await runCliInProcess(['index', '--dry-run', '--json'], {
      cwd: repo.dir,
      env: { GITCTX_HOME: home(), GITCTX_MODEL__EMBEDDING: 'text-embedding-3-large' },
    });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { embedded_chunks: number; tokens: number; cost_usd: number };
    expect(summary.embedded_chunks).toBe(2);
    expect(summary.tokens).toBeGreaterThan(0);
    expect(summary.cost_usd).toBeCloseTo((summary.tokens * 0.13) / 1e6, 12);
  });

  it('an unknown model: no probe; its size comes from the cache when the index is gone', async () => {
    const server = await startFakeOpenAI({ dims: 12 });
    try {
      const repo: TestRepo = track(makeRepo({ files: FILES }));
      const env = { GITCTX_HOME: home(), GITCTX_MODEL__EMBEDDING: 'any-name', OPENAI_BASE_URL: server.baseUrl };
      const first = await runCliInProcess(['index', '--dry-run'], { cwd: repo.dir, env });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain('would embed 2 chunks of 2 files');
      expect(server.requests).toHaveLength(0);

      expect((await runCliInProcess(['index', '-q'], { cwd: repo.dir, env })).code).toBe(0);
      const sent = server.requests.length;
      rmSync(join(repo.dir, '.gitctx', 'db'), { recursive: true });
      repo.write('src/c.ts', 'export const gamma = 3;\n');
      repo.commit('add c');
      const second = await runCliInProcess(['index', '--dry-run'], { cwd: repo.dir, env });
      expect(second.code, second.stderr).toBe(0);
      // The cached vectors were read at their real size: counted as hits, no warning about them.
      expect(second.stdout).toContain('would embed 1 chunks of 1 files');
      expect(second.stdout).toContain('2 chunks already cached');
      expect(second.stderr).toBe('');
      expect(server.requests).toHaveLength(sent);
    } finally {
      await server.close();
    }
  });
});

/** Every `gitctx ...` written between backticks in src/, except those built from `${...}` parts. */
function hintsInSource(): { file: string; command: string }[] {
  const out: { file: string; command: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/\\?`(gitctx [a-z][^`\\\n]*)\\?`/g)) {
          const command = m[1]!.trim();
          if (!command.includes('${') && !command.startsWith('gitctx mcp:')) out.push({ file: path, command });
        }
      }
    }
  };
  walk(join(import.meta.dirname, '..', '..', 'src'));
  return out;
}

/** Why `command` would not parse as a gitctx command line, or undefined when it would. */
function problemWith(command: string): string | undefined {
  let current: Command = buildProgram({ serveMcp: async () => undefined });
  const words = command.split(/\s+/).slice(1);
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const sub = positionals.length === 0 ? current.commands.find((c) => c.name() === word) : undefined;
    if (sub !== undefined) {
      current = sub;
      continue;
    }
    if (word.startsWith('-') && word !== '-') {
      const option = current.options.find((o) => o.long === word || o.short === word);
      if (option === undefined) return `${current.name()} has no option ${word}`;
      if (option.required) i++;
      continue;
    }
    positionals.push(word);
  }
  if (current.commands.length > 0 && positionals.length > 0) return `${current.name()} has no subcommand ${positionals[0]}`;
  const args = current.registeredArguments;
  const variadic = args.some((a) => a.variadic);
  if (!variadic && positionals.length > args.length) return `${current.name()} takes at most ${args.length} arguments`;
  if (positionals.length < args.filter((a) => a.required).length) return `${current.name()} needs ${args.filter((a) => a.required).length} arguments`;
  // A key that lives only in the user file is set or unset there only with --user.
  if (/^gitctx config (set|unset) /.test(command) && command.includes(' api_keys.') && !words.includes('--user')) return 'api_keys.* needs --user';
  return undefined;
}

describe('every command the source suggests exists as written', () => {
  const hints = hintsInSource();
  it('finds the hints', () => {
    expect(hints.length).toBeGreaterThan(10);
  });
  it.each(hints.map((h) => [h.command, h.file] as const))('%s (%s)', (command) => {
    expect(problemWith(command)).toBeUndefined();
  });
});

/**
 * A cloned repository's `.gitctx/config.yml` cannot send code, queries or keys anywhere the
 * user has not approved. The repository here commits `model: {embedding: any-name, base_url:
 * <a capture server on 127.0.0.1>}`; the user has an OpenAI key in the environment and another
 * in the user file. Until `gitctx config trust`, index, dry run, search and mcp send nothing and
 * exit 2 with one line naming the endpoint and the command that approves it; once approved the
 * endpoint gets the code but never the user's key; a changed endpoint needs a new approval; a
 * base_url the user set needs none and gets the key.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GITCTX_BIN, runCli, runCliInProcess } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { cloneRepo, makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const ENV_KEY = 'sk-env-Hq3jN6bYc1Vd5Fg0';
const FILE_KEY = 'sk-file-Q7v2Lm9XwR4tZp8K';

let server: FakeOpenAI;
let other: FakeOpenAI;

beforeAll(async () => {
  server = await startFakeOpenAI({ dims: 8 });
  other = await startFakeOpenAI({ dims: 8 });
});
afterAll(async () => {
  await server.close();
  await other.close();
});
afterEach(() => {
  server.reset();
  other.reset();
});

function repoConfig(baseUrl: string): string {
  return `model:\n  embedding: any-name\n  base_url: ${baseUrl}\n`;
}

/** An upstream repository committing the hostile settings, and a clone of it made with git. */
function hostileClone(baseUrl: string): { origin: TestRepo; clone: TestRepo } {
  const origin = track(
    makeRepo({
      files: {
        'src/secret-sauce.ts': 'export function secretSauce(): number {\n  return 42;\n}\n',
        'README.md': '# Upstream\n\nNothing to see.\n',
        '.gitctx/config.yml': repoConfig(baseUrl),
      },
    }),
  );
  return { origin, clone: track(cloneRepo(origin)) };
}

/** A user settings folder holding an OpenAI key, private as gitctx requires. */
function userHome(extra = ''): string {
  const home = join(track(makeTempDir('gitctx-trust-home-')).dir, '.gitctx');
  mkdirSync(home, { mode: 0o700 });
  writeFileSync(join(home, 'config.yml'), `api_keys:\n  openai: ${FILE_KEY}\n${extra}`);
  chmodSync(join(home, 'config.yml'), 0o600);
  return home;
}

function env(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { GITCTX_HOME: home, OPENAI_API_KEY: ENV_KEY, ...extra };
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'trust-test', version: '0' } },
};
const SEARCH_CALL = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'search', arguments: { query: 'secret sauce' } } };

/** `gitctx mcp` with an initialize and a search written to stdin, which then closes. */
function runMcp(cwd: string, environment: Record<string, string>): Promise<CliResult> {
  const input = [INITIALIZE, { jsonrpc: '2.0', method: 'notifications/initialized' }, SEARCH_CALL].map((m) => `${JSON.stringify(m)}\n`).join('');
  return runCli(['mcp'], { cwd, env: environment, input });
}

function expectRefusal(result: CliResult, endpoint: string): void {
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(endpoint);
  expect(lines[0]).toContain('any-name');
  expect(lines[0]).toContain('`gitctx config trust`');
}

function expectNoUserKey(requests: FakeOpenAI['requests']): void {
  for (const request of requests) {
    expect(request.authorization ?? '').not.toContain(ENV_KEY);
    expect(request.authorization ?? '').not.toContain(FILE_KEY);
  }
}

// The approval itself (`config trust`, `untrust`, `trust --list`) runs in-process except where a test
// pastes the hint into the binary; every command that could send something runs the real binary.
describe('an endpoint named by a cloned repository', () => {
  it('index, index --dry-run, search and mcp send nothing until approved and exit 2 with one line', async () => {
    const { clone } = hostileClone(server.baseUrl);
    const home = userHome();
    for (const args of [['index'], ['index', '--dry-run'], ['search', 'secret sauce']]) {
      const result = await runCli(args, { cwd: clone.dir, env: env(home) });
      expectRefusal(result, server.baseUrl);
      expect(result.stdout).toBe('');
    }
    const mcp = await runMcp(clone.dir, env(home));
    expectRefusal(mcp, server.baseUrl);
    // Standard output is the protocol's: a refusal puts nothing there.
    expect(mcp.stdout).toBe('');
    expect(server.requests).toHaveLength(0);
  });

  it('after `gitctx config trust`, index and search work and the endpoint never sees the user’s key', async () => {
    const { clone } = hostileClone(server.baseUrl);
    const home = userHome();
    const refused = await runCliInProcess(['index'], { cwd: clone.dir, env: env(home) });
    // The line names the command; run exactly that.
    const command = /`(gitctx [^`]+)`/.exec(refused.stderr)?.[1];
    expect(command).toBe('gitctx config trust');
    const trusted = await runCliInProcess(command!.split(' ').slice(1), { cwd: clone.dir, env: env(home) });
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stderr).toContain(server.baseUrl);

    const record = join(home, 'trusted.json');
    expect(statSync(record).mode & 0o777).toBe(0o600);
    expect(readFileSync(record, 'utf8')).toContain(clone.dir);

    const dry = await runCliInProcess(['index', '--dry-run'], { cwd: clone.dir, env: env(home) });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/would embed \d+ chunks of 2 files/);
    // A dry run sends nothing, approved or not: it used to probe an unknown model for its size.
    expect(server.requests).toHaveLength(0);

    const indexed = await runCliInProcess(['index'], { cwd: clone.dir, env: env(home) });
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(server.requests.length).toBeGreaterThan(0);
    const search = await runCliInProcess(['search', 'secret sauce'], { cwd: clone.dir, env: env(home) });
    expect(search.code, search.stderr).toBe(0);
    expect(search.stdout).toContain('src/secret-sauce.ts');
    const mcp = await runMcp(clone.dir, env(home));
    expect(mcp.code, mcp.stderr).toBe(0);
    expect(mcp.stdout).toContain('secret-sauce.ts');
    expectNoUserKey(server.requests);

    const listed = await runCliInProcess(['config', 'trust', '--list'], { cwd: clone.dir, env: env(home) });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(clone.dir);
    expect(listed.stdout).toContain(server.baseUrl);

    const revoked = await runCliInProcess(['config', 'untrust'], { cwd: clone.dir, env: env(home) });
    expect(revoked.code, revoked.stderr).toBe(0);
    const before = server.requests.length;
    expectRefusal(await runCli(['search', 'another question'], { cwd: clone.dir, env: env(home) }), server.baseUrl);
    expect(server.requests).toHaveLength(before);
  });

  it('an approved endpoint that wants a key says the user’s key is not sent there (exit 4)', async () => {
    const demanding = await startFakeOpenAI({ dims: 8, apiKey: ENV_KEY });
    try {
      const { clone } = hostileClone(demanding.baseUrl);
      const home = userHome();
      expect((await runCliInProcess(['config', 'trust'], { cwd: clone.dir, env: env(home) })).code).toBe(0);
      const result = await runCliInProcess(['index'], { cwd: clone.dir, env: env(home) });
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('not sent to an endpoint a repository chose');
      expect(result.stderr).toContain(`\`gitctx config set --user model.base_url ${demanding.baseUrl}\``);
      expectNoUserKey(demanding.requests);
    } finally {
      await demanding.close();
    }
  });

  it('a changed endpoint needs a new approval', async () => {
    const { origin, clone } = hostileClone(server.baseUrl);
    const home = userHome();
    expect((await runCliInProcess(['config', 'trust'], { cwd: clone.dir, env: env(home) })).code).toBe(0);
    expect((await runCliInProcess(['index'], { cwd: clone.dir, env: env(home) })).code).toBe(0);

    origin.write('.gitctx/config.yml', repoConfig(other.baseUrl));
    origin.commit('move the endpoint');
    clone.git(['pull', '-q', '--ff-only']);
    for (const args of [['index'], ['search', 'secret sauce']]) {
      const result = await runCliInProcess(args, { cwd: clone.dir, env: env(home) });
      expectRefusal(result, other.baseUrl);
      expect(result.stderr).toContain('changed since you approved');
    }
    expectRefusal(await runMcp(clone.dir, env(home)), other.baseUrl);
    expect(other.requests).toHaveLength(0);

    expect((await runCliInProcess(['config', 'trust'], { cwd: clone.dir, env: env(home) })).code).toBe(0);
    const indexed = await runCliInProcess(['index'], { cwd: clone.dir, env: env(home) });
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(other.requests.length).toBeGreaterThan(0);
    expectNoUserKey(other.requests);
  });

  it('a running MCP server refuses the next call once a pulled change moves the endpoint', async () => {
    const { origin, clone } = hostileClone(server.baseUrl);
    const home = userHome();
    expect((await runCliInProcess(['config', 'trust'], { cwd: clone.dir, env: env(home) })).code).toBe(0);
    expect((await runCliInProcess(['index'], { cwd: clone.dir, env: env(home) })).code).toBe(0);
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([n, v]) => v !== undefined && !/^(GITCTX_|OPENAI_)/.test(n)));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [GITCTX_BIN, 'mcp'],
      cwd: clone.dir,
      env: { ...(inherited as Record<string, string>), ...env(home), NO_COLOR: '1' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'trust-test', version: '0' });
    await client.connect(transport);
    try {
      const search = () => client.callTool({ name: 'search', arguments: { query: 'secret sauce' } }) as Promise<CallToolResult>;
      expect((await search()).isError).toBeFalsy();
      origin.write('.gitctx/config.yml', repoConfig(other.baseUrl));
      origin.commit('move the endpoint');
      clone.git(['pull', '-q', '--ff-only']);
      const refused = await search();
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('changed since you approved');
      expect(other.requests).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it.each([
    ['the environment', { OPENAI_BASE_URL: 'URL' }, ''],
    ['GITCTX_MODEL__BASE_URL', { GITCTX_MODEL__BASE_URL: 'URL' }, ''],
    ['the user file', {}, 'model:\n  base_url: URL\n'],
  ])('a base_url the user set in %s needs no approval and gets the user’s key', async (_where, extraEnv, userFile) => {
    const { clone } = hostileClone(other.baseUrl);
    const fill = (text: string) => text.replace('URL', server.baseUrl);
    const home = userHome(fill(userFile));
    const environment = env(home, Object.fromEntries(Object.entries(extraEnv).map(([k, v]) => [k, fill(v)])));
    const indexed = await runCliInProcess(['index'], { cwd: clone.dir, env: environment });
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(server.requests.length).toBeGreaterThan(0);
    // The environment's key wins over the file's, as everywhere else.
    for (const request of server.requests) expect(request.authorization).toBe(`Bearer ${ENV_KEY}`);
    expect(other.requests).toHaveLength(0);
  });
});

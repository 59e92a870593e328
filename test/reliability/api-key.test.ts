/**
 * The API key never appears in output, logs, errors or files. Servers that echo the
 * key they received (some do, in 401 and 5xx bodies) are the hard case: every command
 * that can reach one runs here with stack traces on (GITCTX_DEBUG) and the key in the
 * environment or in the user settings file, and every byte printed or written under
 * `.gitctx/` is searched for it. The masked form (`sk-...e5`) may appear; the key may not.
 * (The other reliability files run their fake servers with the same key and check their
 * own output and files the same way.)
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/cache-data.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { API_MODEL, apiEnv, commitSources, filesContaining, gitctxDir, moduleSource, RunRecorder, SECRET_KEY } from './support.js';

describe('the API key never appears', () => {
  let accepting: FakeOpenAI;
  let rejecting: FakeOpenAI;
  let repo: TestRepo;
  let home: { dir: string; cleanup(): void };
  const recorder = new RunRecorder();

  beforeAll(async () => {
    accepting = await startFakeOpenAI({ apiKey: SECRET_KEY, echoKeyInErrors: true });
    // Wants another key, and says which one it got: the reply body holds ours.
    rejecting = await startFakeOpenAI({ apiKey: 'sk-some-other-key-000000', echoKeyInErrors: true });
    repo = makeRepo();
    const random = prng(0x5ec);
    for (let i = 0; i < 5; i++) repo.write(`src/f${i}.ts`, moduleSource(random, `f${i}`, 2));
    commitSources(repo, 'sources');
    home = makeTempDir('gitctx-key-home-');
  });
  afterAll(async () => {
    await accepting.close();
    await rejecting.close();
    repo.cleanup();
    home.cleanup();
  });

  // Stack traces from gitctx, and the OpenAI client's own request log if it would print one.
  const debug = { GITCTX_DEBUG: '1', OPENAI_LOG: 'debug' };

  it('rejected (401, key echoed): exit 4, nothing printed holds the key', async () => {
    const run = await recorder.run(['index'], { cwd: repo.dir, env: apiEnv(rejecting.baseUrl, debug) });
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/rejected the API key \(401\)/);
    expect(rejecting.requests.at(-1)?.authorization).toBe(`Bearer ${SECRET_KEY}`);
  });

  it('server errors that echo the key (500 retried, 400 refused): exit 5 and 2, messages scrubbed', async () => {
    accepting.setDefaultFault({ status: 500 });
    try {
      const run = await recorder.run(['index'], { cwd: repo.dir, env: apiEnv(accepting.baseUrl, { ...debug, GITCTX_MODEL__MAX_RETRIES: '0' }) });
      expect(run.code, run.stderr).toBe(5);
      // The server's message is kept, with the key masked in it.
      expect(run.stderr).toMatch(/error for key sk-\.\.\./);
    } finally {
      accepting.setDefaultFault(undefined);
    }
    accepting.setFaults([{ status: 400 }]);
    const refused = await recorder.run(['index'], { cwd: repo.dir, env: apiEnv(accepting.baseUrl, debug) });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/refused the embedding request/);
  });

  it('key in the user settings file: index, search, status and config print no key, and .gitctx holds none', async () => {
    mkdirSync(home.dir, { recursive: true });
    const userFile = join(home.dir, 'config.yml');
    writeFileSync(userFile, `api_keys:\n  openai: ${SECRET_KEY}\n`);
    chmodSync(userFile, 0o600);
    const env = { GITCTX_HOME: home.dir, GITCTX_MODEL__EMBEDDING: API_MODEL, OPENAI_BASE_URL: accepting.baseUrl, ...debug };
    const index = await recorder.run(['index', '-v'], { cwd: repo.dir, env });
    expect(index.code, index.stderr).toBe(0);
    expect(accepting.requests.at(-1)?.authorization).toBe(`Bearer ${SECRET_KEY}`);
    for (const args of [['search', 'handles step'], ['search', '--format', 'json', 'handles step'], ['status', '--json'], ['config', 'list'], ['config', 'list', '--user'], ['config', 'get', 'api_keys.openai']]) {
      const run = await recorder.run(args, { cwd: repo.dir, env });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    }
    // A new query (repeated ones come from the query cache) that the server rejects: the search path's own error handling.
    const rejected = await recorder.run(['search', 'a question never asked before'], { cwd: repo.dir, env: { ...env, OPENAI_BASE_URL: rejecting.baseUrl } });
    expect(rejected.code, rejected.stderr).toBe(4);
  });

  it('in the end: no captured output and no file under .gitctx holds the key', () => {
    expect(recorder.outputs.length).toBeGreaterThanOrEqual(10);
    expect(recorder.leaks()).toEqual([]);
    expect(filesContaining(gitctxDir(repo))).toEqual([]);
    console.log(`API key: ${recorder.outputs.length} runs (401 and 5xx/400 bodies echoing it, GITCTX_DEBUG stacks, key from env and from the user file), 0 outputs and 0 files under .gitctx hold it`);
  });
});

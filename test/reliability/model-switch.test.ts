/**
 * Switching models never leaves the repository without an index. A run with a new
 * model builds its index beside the one in use; until that run commits, searches
 * with the old model keep their answers and `status` names the old model. A run
 * that fails (the API unreachable) changes neither; the next run with the old model
 * cleans up what the failed one left; a successful run with the new model switches
 * at its commit, and only then is the old index dropped.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/cache-data.js';
import { refusedUrl, startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { API_MODEL, apiEnv, commitSources, gitctxDir, moduleSource, readMeta, RunRecorder, SECRET_KEY } from './support.js';

const QUERY = 'refund payment ledger balance';

describe('an index run with a new model', () => {
  let server: FakeOpenAI;
  let repo: TestRepo;
  const recorder = new RunRecorder();
  const run = (args: string[], env: Record<string, string> = {}) => recorder.run(args, { cwd: repo.dir, env });
  const dbEntries = () => readdirSync(join(gitctxDir(repo), 'db')).sort();

  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKey: SECRET_KEY });
    repo = makeRepo();
    const random = prng(0x5317c4);
    for (let i = 0; i < 6; i++) repo.write(`src/f${i}.ts`, moduleSource(random, `f${i}`, 2));
    commitSources(repo, 'sources');
    const local = await run(['index', '-q']);
    expect(local.code, local.stderr).toBe(0);
  });
  afterAll(async () => {
    await server.close();
    repo.cleanup();
    expect(recorder.leaks()).toEqual([]);
  });

  async function expectLocalIndexAnswers(): Promise<void> {
    const search = await run(['search', QUERY, '--format', 'json']);
    expect(search.code, search.stderr).toBe(0);
    expect((JSON.parse(search.stdout) as { model: string; results: unknown[] }).results.length).toBeGreaterThan(0);
    const status = await run(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ model: 'local-v2', files: 6 });
    expect(readMeta(repo)?.model).toBe('local-v2');
  }

  it('that fails (API unreachable, exit 5) leaves the old index answering, and status names the old model', async () => {
    const failed = await run(['index'], apiEnv(await refusedUrl(), { GITCTX_MODEL__MAX_RETRIES: '0' }));
    expect(failed.code, failed.stderr).toBe(5);
    await expectLocalIndexAnswers();
    expect(failed.stderr).toMatch(/building one for text-embedding-3-small .*old one until it is done/);
  });

  it('that fails on a server error midway changes nothing either', async () => {
    server.setDefaultFault({ status: 500 });
    try {
      const failed = await run(['index', '-q'], apiEnv(server.baseUrl, { GITCTX_MODEL__MAX_RETRIES: '0' }));
      expect(failed.code).not.toBe(0);
    } finally {
      server.setDefaultFault(undefined);
    }
    await expectLocalIndexAnswers();
    expect(dbEntries().filter((name) => name.startsWith('chunks-'))).toHaveLength(1);
  });

  it('the next run with the old model cleans up what the failed build left', async () => {
    const again = await run(['index', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ embedded_chunks: 0 });
    expect(dbEntries()).toEqual(['chunks.lance', 'meta.json']);
    await expectLocalIndexAnswers();
  });

  it('that succeeds switches at its commit: the new model answers, the old index is gone', async () => {
    const done = await run(['index', '-q'], apiEnv(server.baseUrl));
    expect(done.code, done.stderr).toBe(0);
    expect(readMeta(repo)).toMatchObject({ model: API_MODEL, dims: 1536 });
    const entries = dbEntries();
    expect(entries.filter((name) => name.startsWith('chunks'))).toHaveLength(1);
    expect(entries).not.toContain('chunks.lance');

    const status = await run(['status', '--json'], apiEnv(server.baseUrl));
    expect(JSON.parse(status.stdout)).toMatchObject({ model: API_MODEL, files: 6 });
    const search = await run(['search', QUERY, '--format', 'json'], apiEnv(server.baseUrl));
    expect(search.code, search.stderr).toBe(0);
    expect((JSON.parse(search.stdout) as { results: unknown[] }).results.length).toBeGreaterThan(0);
    // Now, and only now, is it true that the index was built with the new model.
    const local = await run(['search', QUERY]);
    expect(local.code).toBe(8);
    expect(local.stderr).toMatch(/built with text-embedding-3-small/);
  });
});

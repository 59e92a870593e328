/**
 * RepoSession in process: the Searcher is opened once and reused, replaced when the
 * index changes on disk, and never closed under a search that is still running.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { NoIndexError } from '../../src/errors.js';
import { RepoSession } from '../../src/mcp/session.js';
import { Searcher } from '../../src/search/search.js';
import { runCli } from '../helpers/cli.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

let repo: TestRepo;
const savedEnv = { ...process.env };

beforeAll(() => {
  // The session loads settings from this process's environment; keep the developer's out.
  for (const name of Object.keys(process.env)) if (/^(GITCTX_|OPENAI_)/.test(name)) delete process.env[name];
  process.env.GITCTX_HOME = join(tmpdir(), 'gitctx-test-no-home');
  repo = makeRepo({ files: { 'a.ts': 'export function alpha(): number {\n  return 1;\n}\n' } });
});

afterAll(() => {
  repo?.cleanup();
  process.env = savedEnv;
});

// Identity is compared with === throughout: a closed Searcher cannot be printed in a failure message.
afterEach(() => {
  vi.restoreAllMocks();
});

async function index(): Promise<void> {
  const result = await runCli(['index', '-q'], { cwd: repo.dir });
  expect(result.code, result.stderr).toBe(0);
}

describe('RepoSession', () => {
  it('says where to index when there is no index, and opens nothing', async () => {
    const open = vi.spyOn(Searcher, 'open');
    const session = new RepoSession(join(repo.dir));
    await expect(session.withSearcher(async () => 'unreached')).rejects.toThrow(
      new NoIndexError(`no index yet: run \`gitctx index\` in ${repo.dir}`),
    );
    expect(open).not.toHaveBeenCalled();
    session.close();
  });

  it('opens one Searcher for concurrent and later calls, and a new one after a re-index', async () => {
    await index();
    const open = vi.spyOn(Searcher, 'open');
    const close = vi.spyOn(Searcher.prototype, 'close');
    const session = new RepoSession(repo.dir);
    const seen = await Promise.all([1, 2, 3].map(() => session.withSearcher(async (searcher) => searcher)));
    seen.push(await session.withSearcher(async (searcher) => searcher));
    expect(open).toHaveBeenCalledTimes(1);
    expect(new Set(seen).size).toBe(1);

    repo.write('b.ts', 'export const beta = 2;\n');
    repo.commit('add b');
    await index();
    const after = await session.withSearcher(async (searcher) => searcher);
    expect(open).toHaveBeenCalledTimes(2);
    expect(after === seen[0]).toBe(false);
    expect(close.mock.contexts.length).toBe(1);
    expect(close.mock.contexts[0] === seen[0]).toBe(true);

    session.close();
    await vi.waitFor(() => expect(close.mock.contexts.length).toBe(2));
    expect(close.mock.contexts[1] === after).toBe(true);
  });

  it('closes a replaced Searcher only after the search running on it has finished, which still reads the version it opened', async () => {
    const close = vi.spyOn(Searcher.prototype, 'close');
    const open = vi.spyOn(Searcher, 'open');
    const session = new RepoSession(repo.dir);
    let finish: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const used: Searcher[] = [];
    const slow = session.withSearcher(async (searcher) => {
      used.push(searcher);
      await gate;
      return searcher.search({ query: 'alpha', mode: 'text', limit: 1 });
    });
    await vi.waitFor(() => expect(used).toHaveLength(1));

    repo.write('c.ts', 'export const gamma = 3;\n');
    repo.commit('add c');
    await index();
    const current = await session.withSearcher(async (searcher) => searcher);
    expect(current === used[0]).toBe(false);
    expect(close.mock.contexts.includes(used[0])).toBe(false);

    finish();
    const response = await slow;
    expect(response.results[0]?.path).toBe('a.ts');
    expect(close.mock.contexts.includes(used[0])).toBe(true);
    // The re-index kept the version this search had opened (searches may still be reading it): no retry was needed.
    expect(used.length).toBe(1);
    expect(open).toHaveBeenCalledTimes(2);
    session.close();
  });
});

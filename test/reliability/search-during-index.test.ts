/**
 * Searches running while index runs commit. Each commit compacts the table and
 * prunes old versions; a search that opened the table a moment before must still
 * read the version it opened (or, if that is gone, the new one) and never fail.
 *
 * Index runs and searches both go through the library in one process, as the CLI
 * and the MCP server call them: every cycle edits a file and runs a full `runIndex`
 * over the work tree (as `index --worktree` does: the same remove, add and commit of
 * the store as after a git commit, without spending most of the cycle in git), and
 * every search opens its own Searcher, searches and closes it, like `gitctx search`.
 * LanceDB does its reading and writing on its own threads, so the two loops really
 * overlap. Before the fix, 3 or 4 of about 280 searches failed with "Not found:
 * .../chunks.lance/data/....lance".
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { createLocalProvider } from '../../src/embed/index.js';
import type { EmbeddingProvider } from '../../src/embed/index.js';
import { openRepository } from '../../src/git/index.js';
import type { Repository } from '../../src/git/index.js';
import type { Settings } from '../../src/config/index.js';
import { runIndex } from '../../src/indexer/run.js';
import { Searcher } from '../../src/search/search.js';
import type { SearchMode } from '../../src/search/types.js';
import { prng } from '../helpers/cache-data.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { gitctxDir, moduleSource } from './support.js';

const INDEX_RUNS = 40;
const SEARCHES = 200;
const FILES = 4;
const QUERIES = ['refund payment ledger', 'retry backoff timeout', 'sensor battery voltage', 'order cart coupon'];
const MODES: SearchMode[] = ['hybrid', 'text', 'vector'];

describe('search while index runs commit', () => {
  let repo: TestRepo;
  let provider: EmbeddingProvider;
  let opened: Repository;
  let settings: Settings;

  beforeAll(async () => {
    const random = prng(0x5ea4c4);
    repo = makeRepo();
    for (let i = 0; i < FILES; i++) repo.write(`src/m${i}.ts`, moduleSource(random, `m${i}`, 2));
    repo.commit('sources');
    provider = createLocalProvider();
    opened = await openRepository(repo.dir);
    settings = (await loadSettings({ repoRoot: repo.dir, env: {} })).settings;
    await indexOnce();
  });
  afterAll(() => repo.cleanup());

  async function indexOnce(): Promise<void> {
    await runIndex({ repo: opened, settings, provider, worktree: true, warn: () => {} });
  }

  it(`${SEARCHES} searches beside ${INDEX_RUNS} edit-and-index cycles: none fails`, async () => {
    const random = prng(0xed17);
    let writerDone = false;
    let runs = 0;
    const writer = (async () => {
      try {
        for (; runs < INDEX_RUNS; runs++) {
          const file = Math.floor(random() * FILES);
          repo.write(`src/m${file}.ts`, moduleSource(random, `m${file}`, 2));
          await indexOnce();
        }
      } finally {
        writerDone = true;
      }
    })();

    const failures: string[] = [];
    let searches = 0;
    let withResults = 0;
    while (searches < SEARCHES || !writerDone) {
      const query = QUERIES[searches % QUERIES.length] as string;
      const mode = MODES[searches % MODES.length] as SearchMode;
      searches += 1;
      try {
        const searcher = await Searcher.open(join(gitctxDir(repo), 'db'), provider);
        try {
          const response = await searcher.search({ query, mode, limit: 5 });
          if (response.results.length > 0) withResults += 1;
        } finally {
          searcher.close();
        }
      } catch (err) {
        failures.push(`${mode} "${query}": ${(err as Error).message.split('\n', 1)[0]}`);
      }
    }
    await writer;
    console.log(`${searches} searches beside ${runs} index runs: ${failures.length} failed, ${withResults} with results`);
    expect(runs).toBe(INDEX_RUNS);
    expect(failures).toEqual([]);
    expect(withResults).toBe(searches);
  }, 120_000);
});

/**
 * `--path` and `--lang` select chunks inside the query, not among the best
 * candidates afterwards. The repository holds well over a thousand chunks that
 * answer "user order" better than the file the filter names (which mentions it
 * once), so a filter applied to the top 1,000 candidates finds nothing, while a
 * filter applied inside the query finds that file in every mode.
 *
 * Paths in the index come from the repository and go into the query as SQL
 * string literals: one target sits under a name made of quotes, a backslash and
 * SQL, and must be found as itself, and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

const PACKAGES = 8;
const MODULES = 6;
/** Functions per distractor module: each is a chunk of its own. */
const FUNCTIONS = 30;
const TARGET = 'pkg7/sub0/m7.py';
const HOSTILE = "odd/it's \\\"x\\\" ' OR 1=1 --.py";

/** A function big enough (a quarter of the chunker's target) to be one chunk, full of the query's words. */
function distractor(pkg: number, mod: number, fn: number): string {
  const lines = [`def user_order_${pkg}_${mod}_${fn}(user, order):`, '    """Handle the user order: user order, order for user, the user and the order."""'];
  for (let i = 0; i < 12; i++) lines.push(`    user_order_total_${i} = user.order_count + order.user_id * ${i + fn}  # user order ${i}`);
  lines.push('    return user, order');
  return lines.join('\n');
}

/** One mention of the query among other words. */
const TARGET_SOURCE = [
  'def ledger_balance(account):',
  '    """Sum the ledger entries of an account; the user order id is kept for audits."""',
  '    return sum(entry.amount for entry in account.entries)',
  '',
].join('\n');

describe('search filters apply inside the query', () => {
  let repo: TestRepo;

  beforeAll(async () => {
    const files: Record<string, string> = {};
    for (let p = 0; p < PACKAGES; p++) {
      for (let m = 0; m < MODULES; m++) {
        const body = Array.from({ length: FUNCTIONS }, (_, f) => distractor(p, m, f)).join('\n\n\n');
        files[`pkg${p}/sub${m % 2}/d${m}.py`] = `${body}\n`;
      }
    }
    files[TARGET] = TARGET_SOURCE;
    files[HOSTILE] = TARGET_SOURCE.replace('ledger_balance', 'hostile_balance');
    files['ruby/order.rb'] = '# The user order, once, in Ruby.\ndef ledger_total(account)\n  account.entries.sum(&:amount)\nend\n';
    repo = makeRepo({ files, message: 'many chunks about user orders' });
    const indexed = await runCli(['index', '--json'], { cwd: repo.dir });
    expect(indexed.code, indexed.stderr).toBe(0);
    // More chunks than the 1,000 candidates a filter used to look at, all better matches than the target.
    expect((JSON.parse(indexed.stdout) as { chunks: number }).chunks).toBeGreaterThan(1200);
  }, 120_000);
  afterAll(() => repo.cleanup());

  async function search(...args: string[]): Promise<{ path: string }[]> {
    const result = await runCli(['search', 'user order', '--format', 'json', '-n', '5', ...args], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { results: { path: string }[] }).results;
  }

  it.each(['text', 'vector', 'hybrid'])('--path names one file far down the ranking: %s mode finds it', async (mode) => {
    const results = await search('--mode', mode, '--path', TARGET);
    expect(results.map((r) => r.path)).toEqual([TARGET]);
  });

  it.each(['text', 'vector', 'hybrid'])('--lang names the one Ruby file: %s mode finds it', async (mode) => {
    const results = await search('--mode', mode, '--lang', 'ruby');
    expect(results.map((r) => r.path)).toEqual(['ruby/order.rb']);
  });

  it('a path made of quotes, a backslash and SQL is matched as itself', async () => {
    const results = await search('--mode', 'text', '--path', 'odd/');
    expect(results.map((r) => r.path)).toEqual([HOSTILE]);
  });

  it('a glob matching most paths still filters (the shorter list is spelled out)', async () => {
    const results = await search('--mode', 'text', '--path', 'pkg*/**', '-n', '100');
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.path.startsWith('pkg'))).toBe(true);
  });

  it('a glob matching nothing gives no results, exit 0', async () => {
    expect(await search('--path', 'nowhere/**')).toEqual([]);
  });
});

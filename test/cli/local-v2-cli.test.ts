import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { track } from '../helpers/cleanup.js';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { makeRepo } from '../helpers/git-repo.js';

const FILES = {
  'src/sleep.ts': 'export function sleep(ms: number): Promise<void> {\n  return new Promise((resolve) => setTimeout(resolve, ms));\n}\n',
  'src/cars.ts': 'export const cars = (vehicles: { wheels: number }[]) => vehicles.filter((v) => v.wheels === 4);\n',
  'src/mail.ts': 'export async function sendMail(to: string, body: string) {\n  await smtp.deliver({ to, body });\n}\n',
};

function cacheFiles(dir: string, model: string): string[] {
  const root = join(dir, '.gitctx', 'embeddings', model);
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.safetensors.zst'));
}

const V1 = { GITCTX_MODEL__EMBEDDING: 'local-v1' };

// The first index and search run the binary; the rest run the same entry point in-process, where the
// model's tables load once per file instead of once per command (seconds each on a busy machine).
describe('local-v2, the default model, end to end', () => {
  it('indexes and searches with no setting, beside a local-v1 cache that stays valid', async () => {
    const repo = track(makeRepo({ files: FILES }));
    const first = await runCli(['index', '--json'], { cwd: repo.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ files: 3, cost_usd: 0 });
    expect(cacheFiles(repo.dir, 'local-v2')).toHaveLength(3);

    const search = await runCli(['search', 'wait a while before continuing', '--mode', 'vector', '--format', 'json'], { cwd: repo.dir });
    expect(search.code, search.stderr).toBe(0);
    const doc = JSON.parse(search.stdout) as { model: string; results: { path: string }[] };
    expect(doc.model).toBe('local-v2');
    expect(doc.results[0]?.path).toBe('src/sleep.ts');

    // Re-embedding reproduces the cached vectors exactly: the model is deterministic.
    const verify = await runCliInProcess(['cache', 'verify', '--json', '--reembed', '100'], { cwd: repo.dir });
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ files: 3, ok: 3, bad: [], reembedded: { max_deviation: 0 } });

    // local-v1 builds its own cache next to it; switching back re-embeds nothing.
    const v1 = await runCliInProcess(['index', '--json'], { cwd: repo.dir, env: V1 });
    expect(v1.code, v1.stderr).toBe(0);
    expect(cacheFiles(repo.dir, 'local-v1')).toHaveLength(3);
    expect((await runCliInProcess(['search', 'sleep', '--format', 'json'], { cwd: repo.dir, env: V1 })).code).toBe(0);
    const again = await runCliInProcess(['index', '--json'], { cwd: repo.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ embedded_chunks: 0 });
    const v1again = await runCliInProcess(['index', '--json'], { cwd: repo.dir, env: V1 });
    expect(JSON.parse(v1again.stdout)).toMatchObject({ embedded_chunks: 0 });
  });

  it('leaves an index built with local-v1 usable by name, and rebuilds it as a model switch under the default', async () => {
    // A repository indexed before local-v2 became the default.
    const repo = track(makeRepo({ files: FILES }));
    const old = await runCliInProcess(['index', '--json'], { cwd: repo.dir, env: V1 });
    expect(old.code, old.stderr).toBe(0);
    const chunks = (JSON.parse(old.stdout) as { chunks: number }).chunks;

    // Naming local-v1 keeps it working with no re-embedding.
    const kept = await runCliInProcess(['index', '--json'], { cwd: repo.dir, env: V1 });
    expect(JSON.parse(kept.stdout)).toMatchObject({ embedded_chunks: 0 });
    const v1search = await runCliInProcess(['search', 'sleep', '--format', 'json'], { cwd: repo.dir, env: V1 });
    expect(v1search.code, v1search.stderr).toBe(0);
    expect(JSON.parse(v1search.stdout)).toMatchObject({ model: 'local-v1' });

    // Under the default, search asks for an index run, which rebuilds with local-v2.
    const stale = await runCliInProcess(['search', 'sleep', '--format', 'json'], { cwd: repo.dir });
    expect(stale.code).toBe(8);
    expect(stale.stderr).toMatch(/built with local-v1 .*model\.embedding is local-v2/);
    const rebuilt = await runCliInProcess(['index', '--json'], { cwd: repo.dir });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ embedded_chunks: chunks });
    const v2search = await runCliInProcess(['search', 'sleep', '--format', 'json'], { cwd: repo.dir });
    expect(v2search.code, v2search.stderr).toBe(0);
    expect(JSON.parse(v2search.stdout)).toMatchObject({ model: 'local-v2' });
    // The local-v1 cache is still there for whoever names it.
    expect(cacheFiles(repo.dir, 'local-v1')).toHaveLength(3);
  });
});

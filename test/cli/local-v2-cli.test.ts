import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { track } from '../helpers/cleanup.js';
import { runCli } from '../helpers/cli.js';
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

describe('model.embedding: local-v2 end to end', () => {
  it('indexes and searches with local-v2, beside a local-v1 cache that stays valid', async () => {
    const repo = track(makeRepo({ files: { ...FILES, '.gitctx/config.yml': 'model:\n  embedding: local-v2\n' } }));
    const first = await runCli(['index', '--json'], { cwd: repo.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ files: 3, cost_usd: 0 });
    expect(cacheFiles(repo.dir, 'local-v2')).toHaveLength(3);

    const search = await runCli(['search', 'wait a while before continuing', '--mode', 'vector', '--format', 'json'], { cwd: repo.dir });
    expect(search.code, search.stderr).toBe(0);
    const results = JSON.parse(search.stdout) as { results: { path: string }[] } | { path: string }[];
    const paths = (Array.isArray(results) ? results : results.results).map((r) => r.path);
    expect(paths[0]).toBe('src/sleep.ts');

    // Re-embedding reproduces the cached vectors exactly: the model is deterministic.
    const verify = await runCli(['cache', 'verify', '--json', '--reembed', '100'], { cwd: repo.dir });
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ files: 3, ok: 3, bad: [], reembedded: { max_deviation: 0 } });

    // local-v1 builds its own cache next to it; switching back re-embeds nothing.
    const env = { GITCTX_MODEL__EMBEDDING: 'local-v1' };
    const v1 = await runCli(['index', '--json'], { cwd: repo.dir, env });
    expect(v1.code, v1.stderr).toBe(0);
    expect(cacheFiles(repo.dir, 'local-v1')).toHaveLength(3);
    expect((await runCli(['search', 'sleep', '--format', 'json'], { cwd: repo.dir, env })).code).toBe(0);
    const again = await runCli(['index', '--json'], { cwd: repo.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ embedded_chunks: 0 });
    const v1again = await runCli(['index', '--json'], { cwd: repo.dir, env });
    expect(JSON.parse(v1again.stdout)).toMatchObject({ embedded_chunks: 0 });
  });
});

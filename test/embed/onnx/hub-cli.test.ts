/**
 * An `hf:` model through the real binary and a loopback hub: weights downloaded on first use
 * into $GITCTX_HOME/models, the commit pinned in the cache's model name, a cut connection
 * resumed, a corrupt file never used, and a later run working with the hub gone.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { track } from '../../helpers/cleanup.js';
import { runCli } from '../../helpers/cli.js';
import { startFakeHub } from '../../helpers/fake-hub-server.js';
import type { FakeHub } from '../../helpers/fake-hub-server.js';
import { makeRepo, makeTempDir } from '../../helpers/git-repo.js';
import { writeTinyModelDir } from '../../helpers/tiny-onnx.js';

const FILES = {
  'src/parse.ts': 'export function parseJsonNumber(text: string): number {\n  return JSON.parse(text);\n}\n',
  'src/sleep.ts': 'export function sleep(ms: number) {\n  return new Promise((r) => setTimeout(r, ms));\n}\n',
  'README.md': '# demo\n\nUser data value list map.\n',
};
const MODEL = 'org/tiny';
const MODEL_FILE = 'onnx/model.onnx';

let hub: FakeHub;
let commit: string;

beforeAll(async () => {
  hub = await startFakeHub();
  const tiny = track(writeTinyModelDir({ pooling: 'mean' }));
  commit = hub.serve(MODEL, tiny.dir, { lfs: [MODEL_FILE] }).commit;
});
afterAll(async () => {
  await hub.close();
});

function envFor(home: string, hubUrl = hub.url): Record<string, string> {
  return { GITCTX_HOME: home, GITCTX_MODEL__EMBEDDING: `hf:${MODEL}`, GITCTX_MODEL__HUB_URL: hubUrl, GITCTX_MODEL__MAX_RETRIES: '2' };
}

function modelFileIn(home: string): string {
  return join(home, 'models', 'org--tiny', commit, MODEL_FILE);
}

describe('an hf: model downloaded from the hub on first use', () => {
  it('downloads, pins the commit in the model name, and later runs offline', async () => {
    hub.reset();
    const home = track(makeTempDir()).dir;
    const repo = track(makeRepo({ files: FILES }));

    const index = await runCli(['index', '--json'], { cwd: repo.dir, env: envFor(home) });
    expect(index.stderr).toBe('');
    expect(index.code).toBe(0);
    expect(existsSync(modelFileIn(home))).toBe(true);
    expect(hub.requests.some((r) => r.server === 'cdn' && r.status === 200)).toBe(true);

    const model = `hf:${MODEL}@${commit.slice(0, 12)}`;
    const search = await runCli(['search', '--format', 'json', '--mode', 'vector', 'user data value list map'], {
      cwd: repo.dir,
      env: envFor(home),
    });
    expect(search.code).toBe(0);
    expect((JSON.parse(search.stdout) as { model: string }).model).toBe(model);

    // The hub gone (a closed port): the remembered revision and verified files are enough.
    const offline = await runCli(['search', '--format', 'json', 'parse json number'], { cwd: repo.dir, env: envFor(home, 'http://127.0.0.1:9') });
    expect(offline.stderr).toBe('');
    expect(offline.code).toBe(0);
    expect((JSON.parse(offline.stdout) as { results: unknown[] }).results.length).toBeGreaterThan(0);
  });

  it('plans a dry run with the tokenizer alone: the weights are never downloaded', async () => {
    hub.reset();
    const home = track(makeTempDir()).dir;
    const repo = track(makeRepo({ files: FILES }));
    const plan = await runCli(['index', '--dry-run', '--json'], { cwd: repo.dir, env: envFor(home) });
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.stdout) as { files: number }).files).toBe(3);
    expect(existsSync(join(home, 'models', 'org--tiny', commit, 'tokenizer.json'))).toBe(true);
    expect(existsSync(modelFileIn(home))).toBe(false);
    expect(hub.requests.some((r) => r.server === 'cdn')).toBe(false);
  });

  it('resumes a download whose connection was cut', async () => {
    hub.reset();
    hub.setFaults(MODEL_FILE, [{ cut: 1000 }]);
    const home = track(makeTempDir()).dir;
    const repo = track(makeRepo({ files: FILES }));
    const index = await runCli(['index'], { cwd: repo.dir, env: envFor(home) });
    expect(index.code).toBe(0);
    const fileRequests = hub.requests.filter((r) => r.path.endsWith(MODEL_FILE) && r.method === 'GET');
    expect(fileRequests.some((r) => r.range === 'bytes=1000-')).toBe(true);
    expect(existsSync(modelFileIn(home))).toBe(true);
  });

  it('never uses a file that fails its checksum: exit 5, nothing cached, no model file left', async () => {
    hub.reset();
    hub.setFaults(MODEL_FILE, ['wrong-bytes', 'wrong-bytes', 'wrong-bytes', 'wrong-bytes']);
    const home = track(makeTempDir()).dir;
    const repo = track(makeRepo({ files: FILES }));
    const index = await runCli(['index'], { cwd: repo.dir, env: envFor(home) });
    expect(index.code).toBe(5);
    expect(index.stderr.trim().split('\n')).toHaveLength(1);
    expect(index.stderr).toContain(MODEL_FILE);
    expect(existsSync(modelFileIn(home))).toBe(false);
    const embeddings = join(repo.dir, '.gitctx', 'embeddings');
    const cached = existsSync(embeddings) ? readdirSync(embeddings, { recursive: true }).filter((f) => String(f).endsWith('.zst')) : [];
    expect(cached).toEqual([]);
  });

  it('names the URL and exits 5 when the hub cannot be reached', async () => {
    const home = track(makeTempDir()).dir;
    const repo = track(makeRepo({ files: FILES }));
    const index = await runCli(['index'], { cwd: repo.dir, env: { ...envFor(home, 'http://127.0.0.1:9'), GITCTX_MODEL__MAX_RETRIES: '0' } });
    expect(index.code).toBe(5);
    expect(index.stderr).toContain('http://127.0.0.1:9');
    expect(existsSync(join(home, 'models', 'org--tiny', commit))).toBe(false);
  });
});

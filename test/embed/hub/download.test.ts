/**
 * Model files from a hub on 127.0.0.1 (test/helpers/fake-hub-server.ts): laid out by commit and
 * verified; reused with no request at all; resumed after a cut connection and across runs; a
 * checksum mismatch, a missing file, a refused token and an unreachable hub each fail with one line
 * and leave nothing in the final place; the token goes to the hub and never to the CDN.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { ensureModelFiles } from '../../../src/embed/hub/index.js';
import type { ModelFilesRequest } from '../../../src/embed/hub/index.js';
import { track } from '../../helpers/cleanup.js';
import { startFakeHub } from '../../helpers/fake-hub-server.js';
import type { FakeHub } from '../../helpers/fake-hub-server.js';
import { filesUnder } from '../../helpers/files.js';
import { makeTempDir } from '../../helpers/git-repo.js';

const REPO = 'tiny-org/tiny-model';
const FILES = ['config.json', 'tokenizer.json', 'onnx/model.onnx'];
const FAST_RETRY = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 20_000 };

/** Deterministic bytes, so a resumed download that splices wrongly cannot pass by luck. */
function weights(size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const MODEL = weights(256 * 1024);

function fixtureRepo(): string {
  const dir = track(makeTempDir('gitctx-hub-repo-')).dir;
  mkdirSync(join(dir, 'onnx'));
  writeFileSync(join(dir, 'config.json'), '{"hidden_size": 8}\n');
  writeFileSync(join(dir, 'tokenizer.json'), '{"model": {"type": "WordLevel", "vocab": {"a": 0}}}\n');
  writeFileSync(join(dir, 'onnx', 'model.onnx'), MODEL);
  writeFileSync(join(dir, 'README.md'), 'not asked for\n');
  return dir;
}

let hub: FakeHub;
let commit: string;
let modelsDir: string;

function request(extra: Partial<ModelFilesRequest> = {}): ModelFilesRequest {
  return { hubUrl: hub.url, repo: REPO, revision: 'main', files: FILES, modelsDir, retry: FAST_RETRY, ...extra };
}

function snapshot(c = commit): string {
  return join(modelsDir, 'tiny-org--tiny-model', c);
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

beforeEach(async () => {
  hub = await startFakeHub();
  ({ commit } = hub.serve(REPO, fixtureRepo(), { lfs: ['onnx/model.onnx'] }));
  modelsDir = join(track(makeTempDir('gitctx-models-')).dir, 'models');
});
afterEach(async () => {
  await hub.close();
});

describe('ensureModelFiles', () => {
  it('resolves the revision, downloads and verifies each file, and lays them out by commit', async () => {
    const progress: number[] = [];
    const result = await ensureModelFiles(request({ onProgress: (done, total) => progress.push(done / total) }));

    expect(result).toEqual({ dir: snapshot(), commit });
    expect(readFileSync(join(result.dir, 'onnx', 'model.onnx')).equals(MODEL)).toBe(true);
    expect(readFileSync(join(result.dir, 'config.json'), 'utf8')).toBe('{"hidden_size": 8}\n');
    expect(readFileSync(join(modelsDir, 'tiny-org--tiny-model', 'refs', 'main'), 'utf8').trim()).toBe(commit);
    expect(filesUnder(result.dir).map((f) => f.slice(result.dir.length + 1)).sort()).toEqual(['config.json', 'onnx/model.onnx', 'tokenizer.json']);
    expect(filesUnder(modelsDir).filter((f) => /\.(part|lock|tmp)$/.test(f))).toEqual([]);
    expect(progress.at(-1)).toBe(1);
    // The LFS file came from the CDN the hub redirected to; the small ones from the hub itself.
    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    expect(cdn.map((r) => r.status)).toEqual([200]);
    expect(hub.requests.filter((r) => r.server === 'hub').map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 200',
      'POST 200',
      'GET 200',
      'GET 200',
      'GET 302',
    ]);
  });

  it('makes no request at all the second time: the remembered commit and verified files are enough', async () => {
    await ensureModelFiles(request());
    const offline = await ensureModelFiles(request({ hubUrl: await closedPortUrl() }));
    expect(offline).toEqual({ dir: snapshot(), commit });
    hub.reset();
    await ensureModelFiles(request());
    expect(hub.requests).toEqual([]);
  });

  it('downloads only what a later request adds, at the remembered commit', async () => {
    await ensureModelFiles(request({ files: ['config.json'] }));
    hub.reset();
    await ensureModelFiles(request());
    expect(hub.requests.some((r) => r.path.includes('/revision/'))).toBe(false);
    expect(hub.requests.filter((r) => r.path.includes('config.json'))).toEqual([]);
    expect(readFileSync(join(snapshot(), 'onnx', 'model.onnx')).equals(MODEL)).toBe(true);
  });

  it('resumes after a cut connection with a Range request, transferring less than twice the file', async () => {
    hub.setFaults('onnx/model.onnx', [{ cut: 100_000 }]);
    const result = await ensureModelFiles(request({ files: ['onnx/model.onnx'] }));

    expect(readFileSync(join(result.dir, 'onnx', 'model.onnx')).equals(MODEL)).toBe(true);
    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    expect(cdn).toHaveLength(2);
    expect(cdn[0]).toMatchObject({ range: undefined, fault: '{"cut":100000}' });
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(cdn[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBe(100_000);
    expect(cdn[1]!.status).toBe(206);
    const transferred = cdn.reduce((sum, r) => sum + r.bytes, 0);
    expect(transferred).toBe(MODEL.length);
    expect(transferred).toBeLessThan(2 * MODEL.length);
  });

  it('resumes a part file an earlier run left behind (Ctrl+C), and restarts when the server ignores the Range', async () => {
    const part = `${join(snapshot(), 'onnx', 'model.onnx')}.part`;
    mkdirSync(join(snapshot(), 'onnx'), { recursive: true });
    writeFileSync(part, MODEL.subarray(0, 70_000));
    await ensureModelFiles(request({ files: ['onnx/model.onnx'] }));
    expect(hub.requests.filter((r) => r.server === 'cdn').map((r) => [r.range, r.status, r.bytes])).toEqual([
      ['bytes=70000-', 206, MODEL.length - 70_000],
    ]);

    const other = join(modelsDir, 'other');
    mkdirSync(join(other, 'tiny-org--tiny-model', commit, 'onnx'), { recursive: true });
    writeFileSync(`${join(other, 'tiny-org--tiny-model', commit, 'onnx', 'model.onnx')}.part`, MODEL.subarray(0, 70_000));
    hub.reset();
    hub.setFaults('onnx/model.onnx', ['ignore-range']);
    const again = await ensureModelFiles(request({ files: ['onnx/model.onnx'], modelsDir: other }));
    expect(readFileSync(join(again.dir, 'onnx', 'model.onnx')).equals(MODEL)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').map((r) => r.status)).toEqual([200]);
  });

  it('leaves the part file for a later run when interrupted', async () => {
    const controller = new AbortController();
    hub.setFaults('onnx/model.onnx', [{ cut: 50_000 }, { delay: 2_000 }]);
    const run = ensureModelFiles(request({ files: ['onnx/model.onnx'], signal: controller.signal }));
    const started = Date.now();
    while (!hub.requests.some((r) => r.fault.includes('delay')) && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(run).rejects.toMatchObject({ exitCode: ExitCode.interrupted });
    const final = join(snapshot(), 'onnx', 'model.onnx');
    expect(existsSync(final)).toBe(false);
    expect(readFileSync(`${final}.part`).equals(MODEL.subarray(0, 50_000))).toBe(true);
    expect(existsSync(`${final}.lock`)).toBe(false);
  });

  it('refuses a file whose bytes do not match the hub’s sha256: nothing in the final place, the part deleted', async () => {
    hub.setFaults('onnx/model.onnx', ['wrong-bytes']);
    const failed = ensureModelFiles(request());
    await expect(failed).rejects.toMatchObject({ exitCode: ExitCode.unreachable });
    await expect(failed).rejects.toThrow(/onnx\/model\.onnx of model tiny-org\/tiny-model .*does not match the hub's sha256/);
    const final = join(snapshot(), 'onnx', 'model.onnx');
    expect(existsSync(final)).toBe(false);
    expect(existsSync(`${final}.part`)).toBe(false);

    const retried = await ensureModelFiles(request());
    expect(readFileSync(join(retried.dir, 'onnx', 'model.onnx')).equals(MODEL)).toBe(true);
  });

  it('checks a small file against its git blob id', async () => {
    hub.setFaults('config.json', ['wrong-bytes']);
    await expect(ensureModelFiles(request())).rejects.toThrow(/config\.json .*does not match the hub's git blob id/);
    expect(existsSync(join(snapshot(), 'config.json'))).toBe(false);
  });

  it('never trusts a file in the final place that no download verified', async () => {
    await ensureModelFiles(request({ files: ['config.json'] }));
    mkdirSync(join(snapshot(), 'onnx'), { recursive: true });
    writeFileSync(join(snapshot(), 'onnx', 'model.onnx'), 'planted');
    const result = await ensureModelFiles(request());
    expect(readFileSync(join(result.dir, 'onnx', 'model.onnx')).equals(MODEL)).toBe(true);
  });

  it('exits 5 naming the URL when the hub cannot be reached', async () => {
    const url = await closedPortUrl();
    const failed = ensureModelFiles(request({ hubUrl: url, retry: { ...FAST_RETRY, maxRetries: 1 } }));
    await expect(failed).rejects.toMatchObject({ exitCode: ExitCode.unreachable });
    await expect(failed).rejects.toThrow(new RegExp(`^cannot reach ${url}/api/models/tiny-org/tiny-model/revision/main \\(2 attempts\\): .*ECONNREFUSED`));
    expect(existsSync(modelsDir) ? filesUnder(modelsDir) : []).toEqual([]);
  });

  it('retries a 500 and a 429, then succeeds', async () => {
    hub.setFaults('revision', [{ status: 500 }]);
    hub.setFaults('onnx/model.onnx', [{ status: 429, retryAfter: 0 }]);
    await ensureModelFiles(request());
    expect(hub.requests.filter((r) => r.path.includes('/revision/')).map((r) => r.status)).toEqual([500, 200]);
    expect(hub.requests.filter((r) => r.path.includes('model.onnx') || r.server === 'cdn').map((r) => r.status)).toEqual([429, 302, 200]);
  });

  it('names the missing file, the unknown revision and the repository the hub will not show', async () => {
    await expect(ensureModelFiles(request({ files: ['onnx/missing.onnx'] }))).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: expect.stringMatching(/has no file onnx\/missing\.onnx in model tiny-org\/tiny-model at commit [0-9a-f]{40}$/),
    });
    await expect(ensureModelFiles(request({ revision: 'v9' }))).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: expect.stringMatching(/has no model tiny-org\/tiny-model at revision v9/),
    });
    await expect(ensureModelFiles(request({ repo: 'nobody/nothing' }))).rejects.toMatchObject({
      exitCode: ExitCode.auth,
      message: expect.stringMatching(/refused model nobody\/nothing at revision main \(401\): it is private, gated or does not exist.*HF_TOKEN/),
    });
  });

  it('rejects names that would leave the models directory before any request', async () => {
    for (const bad of [{ repo: '../x' }, { repo: 'a/b/c' }, { files: ['../../etc/passwd'] }, { files: ['/abs'] }, { revision: '../main' }]) {
      await expect(ensureModelFiles(request(bad))).rejects.toMatchObject({ exitCode: ExitCode.usage });
    }
    expect(hub.requests).toEqual([]);
  });

  it('falls back to HEAD for size and checksum on a mirror without paths-info', async () => {
    const mirror = await startFakeHub({ noPathsInfo: true });
    try {
      const served = mirror.serve(REPO, fixtureRepo(), { lfs: ['onnx/model.onnx'] });
      const result = await ensureModelFiles(request({ hubUrl: mirror.url }));
      expect(result.commit).toBe(served.commit);
      expect(readFileSync(join(result.dir, 'onnx', 'model.onnx')).equals(MODEL)).toBe(true);
      expect(mirror.requests.filter((r) => r.method === 'HEAD').map((r) => r.status)).toEqual([200, 200, 302]);
    } finally {
      await mirror.close();
    }
  });

  it('lets two downloads of the same model at once both finish with sound files', async () => {
    const [a, b] = await Promise.all([ensureModelFiles(request()), ensureModelFiles(request())]);
    expect(a).toEqual(b);
    expect(readFileSync(join(a.dir, 'onnx', 'model.onnx')).equals(MODEL)).toBe(true);
    expect(filesUnder(modelsDir).filter((f) => /\.(part|lock|tmp)$/.test(f))).toEqual([]);
  });
});

describe('the hub token', () => {
  it('goes to the hub as a Bearer token and never to the host the hub redirects to', async () => {
    const gated = await startFakeHub({ token: 'hf_secret_token_123' });
    try {
      gated.serve(REPO, fixtureRepo(), { lfs: ['onnx/model.onnx'] });
      await expect(ensureModelFiles(request({ hubUrl: gated.url }))).rejects.toMatchObject({
        exitCode: ExitCode.auth,
        message: expect.stringContaining('HF_TOKEN'),
      });
      gated.reset();
      const result = await ensureModelFiles(request({ hubUrl: gated.url, token: 'hf_secret_token_123' }));
      expect(readFileSync(join(result.dir, 'onnx', 'model.onnx')).equals(MODEL)).toBe(true);
      const hubSide = gated.requests.filter((r) => r.server === 'hub');
      const cdnSide = gated.requests.filter((r) => r.server === 'cdn');
      expect(hubSide.length).toBeGreaterThan(0);
      expect(hubSide.every((r) => r.authorization === 'Bearer hf_secret_token_123')).toBe(true);
      expect(cdnSide).toHaveLength(1);
      expect(cdnSide[0]!.authorization).toBeUndefined();
    } finally {
      await gated.close();
    }
  });

  it('a refused token is named as such, and never printed', async () => {
    const gated = await startFakeHub({ token: 'hf_right_token_456' });
    try {
      gated.serve(REPO, fixtureRepo());
      const failed = ensureModelFiles(request({ hubUrl: gated.url, token: 'hf_wrong_token_789' }));
      await expect(failed).rejects.toThrow(/your token was refused/);
      await expect(failed).rejects.not.toThrow(/hf_wrong_token_789/);
    } finally {
      await gated.close();
    }
  });
});

describe('the hub URL', () => {
  it('must be http or https', async () => {
    for (const hubUrl of ['ftp://example.com', 'not a url', 'file:///etc']) {
      await expect(ensureModelFiles(request({ hubUrl }))).rejects.toMatchObject({ exitCode: ExitCode.usage });
    }
  });

  it('may end with a slash', async () => {
    const result = await ensureModelFiles(request({ hubUrl: `${hub.url}/` }));
    expect(result.commit).toBe(commit);
  });
});

describe('a malformed token', () => {
  it('is a usage error, not a network failure, and is not echoed', async () => {
    const failed = ensureModelFiles(request({ token: 'hf_abc\ndef_secret' }));
    await expect(failed).rejects.toMatchObject({ exitCode: ExitCode.usage });
    await expect(failed).rejects.not.toThrow(/def_secret/);
  });
});

describe('a hub reply that never ends', () => {
  it('is cut at the JSON limit with exit 5, even without a content-length', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"sha": "');
      const pump = () => {
        // Past the 64 MiB limit, then the test is over; a client that kept reading would never stop.
        while (sent < 80 && res.write(chunk)) sent++;
        if (sent < 80) res.once('drain', pump);
        else res.end('"}');
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const err = await ensureModelFiles({ hubUrl: `http://127.0.0.1:${port}`, repo: REPO, revision: 'main', files: FILES, modelsDir, retry: FAST_RETRY }).catch(
        (e: unknown) => e as { exitCode?: number; message: string },
      );
      expect((err as { exitCode?: number }).exitCode).toBe(ExitCode.unreachable);
      expect((err as Error).message).toMatch(/bytes where a short JSON reply was expected/);
      expect(sent).toBeLessThan(80);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/**
 * Downloads that outlast trouble: many cut connections (each resume counts as progress, not as a
 * failed retry), a hub that goes silent (a timeout on silence, then a retry), a lock left by a
 * process that died (taken over), two processes after the same model (one downloads, the other
 * waits and reuses it), and the progress line (only on a terminal).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureModelFiles, terminalProgress } from '../../../src/embed/hub/index.js';
import type { ModelFilesRequest } from '../../../src/embed/hub/index.js';
import { GITCTX_BIN } from '../../helpers/cli.js';
import { track } from '../../helpers/cleanup.js';
import { startFakeHub } from '../../helpers/fake-hub-server.js';
import type { FakeHub } from '../../helpers/fake-hub-server.js';
import { filesUnder } from '../../helpers/files.js';
import { makeTempDir } from '../../helpers/git-repo.js';

const REPO = 'tiny-org/tiny-model';
const MODEL = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251));
const FAST_RETRY = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 20_000 };

let hub: FakeHub;
let commit: string;
let modelsDir: string;

beforeEach(async () => {
  const dir = track(makeTempDir('gitctx-hub-repo-')).dir;
  writeFileSync(join(dir, 'model.onnx'), MODEL);
  writeFileSync(join(dir, 'tokenizer.json'), '{}\n');
  hub = await startFakeHub();
  ({ commit } = hub.serve(REPO, dir, { lfs: ['model.onnx'] }));
  modelsDir = join(track(makeTempDir('gitctx-models-')).dir, 'models');
});
afterEach(async () => {
  await hub.close();
});

function request(extra: Partial<ModelFilesRequest> = {}): ModelFilesRequest {
  return { hubUrl: hub.url, repo: REPO, revision: 'main', files: ['model.onnx', 'tokenizer.json'], modelsDir, retry: FAST_RETRY, ...extra };
}

describe('resilience', () => {
  it('survives more cut connections than retries, as long as each one brought bytes', async () => {
    hub.setFaults('model.onnx', Array.from({ length: 5 }, () => ({ cut: 30_000 })));
    const result = await ensureModelFiles(request());
    expect(readFileSync(join(result.dir, 'model.onnx')).equals(MODEL)).toBe(true);
    const cdn = hub.requests.filter((r) => r.server === 'cdn');
    expect(cdn.map((r) => r.range)).toEqual([undefined, 'bytes=30000-', 'bytes=60000-', 'bytes=90000-', 'bytes=120000-', 'bytes=150000-']);
    expect(cdn.reduce((sum, r) => sum + r.bytes, 0)).toBe(MODEL.length);
  });

  it('gives up on a silent hub after the timeout and retries', async () => {
    hub.setFaults('revision', [{ delay: 3_000 }]);
    const result = await ensureModelFiles(request({ timeoutMs: 300 }));
    expect(result.commit).toBe(commit);
    expect(hub.requests.filter((r) => r.path.includes('/revision/'))).toHaveLength(2);
  });

  it('takes over a lock whose process is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const lock = join(modelsDir, 'tiny-org--tiny-model', commit, 'model.onnx.lock');
    mkdirSync(join(lock, '..'), { recursive: true });
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), started: new Date().toISOString() }));
    const waits: string[] = [];
    const result = await ensureModelFiles(request({ onWait: (file) => waits.push(file) }));
    expect(readFileSync(join(result.dir, 'model.onnx')).equals(MODEL)).toBe(true);
    expect(waits).toEqual([]);
    expect(filesUnder(modelsDir).filter((f) => /\.(lock|part)$|stale-/.test(f))).toEqual([]);
  });

  it('two processes after the same model: one downloads it, the other waits and reuses it', async () => {
    hub.setFaults('model.onnx', [{ delay: 800 }]);
    const hubModule = join(GITCTX_BIN, '..', '..', 'embed', 'hub', 'index.js');
    const script = `
      const { ensureModelFiles } = await import(${JSON.stringify(hubModule)});
      const r = await ensureModelFiles({ ...JSON.parse(process.argv[1]), onWait: (f) => process.stderr.write('waiting ' + f + '\\n') });
      process.stdout.write(JSON.stringify(r));`;
    const { onProgress: _, ...plain } = request();
    const run = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(plain)]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
    expect(`${a.stderr}${b.stderr}`).toContain('waiting model.onnx');
    expect(readFileSync(join(modelsDir, 'tiny-org--tiny-model', commit, 'model.onnx')).equals(MODEL)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn')).toHaveLength(1);
  });
});

describe('terminalProgress', () => {
  it('draws bytes, percent and file on a terminal, ending the line when done; nothing elsewhere', () => {
    const written: string[] = [];
    const tty = { isTTY: true, columns: 100, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const progress = terminalProgress('tiny-org/tiny-model', tty)!;
    progress(0, 2 * 1024 * 1024, 'model.onnx');
    progress(2 * 1024 * 1024, 2 * 1024 * 1024, 'model.onnx');
    progress(2 * 1024 * 1024, 2 * 1024 * 1024, 'model.onnx');
    expect(written).toHaveLength(2);
    expect(written[1]).toContain('downloading tiny-org/tiny-model: 2.0 MiB of 2.0 MiB (100%) model.onnx');
    expect(written[1]!.endsWith('\n')).toBe(true);
    const pipe = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    expect(terminalProgress('x', pipe)).toBeUndefined();
  });
});

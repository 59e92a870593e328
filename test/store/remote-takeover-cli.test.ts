/**
 * A `gitctx index` of a shared index that is stopped (SIGSTOP: a suspended laptop, a frozen CI
 * runner) past the stale time while it holds the writer lease. Another run takes the lease over
 * and commits; when the stopped run resumes it must not write over that run's index: it stops
 * with exit 9 and one line, and the index stays the new holder's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../helpers/cli.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3Server } from '../helpers/s3-server.js';
import type { S3Server } from '../helpers/s3-server.js';
import { IndexStore, readIndexMeta } from '../../src/store/index-store.js';
import type { RemoteIndex } from '../../src/store/location.js';
import { acquireRemoteLock, REMOTE_STALE_MS } from '../../src/store/remote-lock.js';

let s3: S3Server;
let api: FakeOpenAI;
beforeAll(async () => {
  s3 = await startS3Server();
  api = await startFakeOpenAI({ dims: 8 });
});
afterAll(async () => {
  await api.close();
  s3.cleanup();
});

describe('a writer of a shared index whose lease was taken over while it was stopped', () => {
  it('stops with exit 9 and one line, and leaves the new holder’s index as it was', async () => {
    const repo = track(cloneRepo(track(makeRepo({ files: { 'src/a.ts': 'export const a = 1;\n', 'src/b.ts': 'export function b() {\n  return 2;\n}\n' } }))));
    const storage = { aws_endpoint: s3.endpoint, aws_region: 'us-east-1', allow_http: 'true', aws_virtual_hosted_style_request: 'false' };
    const uri = `s3://${s3.bucket}/takeover`;
    const env = {
      GITCTX_INDEX__DB_URI: uri,
      GITCTX_INDEX__STORAGE_OPTIONS: Object.entries(storage).map(([k, v]) => `${k}=${v}`).join(','),
      AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY,
      OPENAI_API_KEY: 'sk-test-key',
      GITCTX_MODEL__EMBEDDING: 'text-embedding-3-small',
      GITCTX_MODEL__BASE_URL: api.baseUrl,
      GITCTX_MODEL__DIMENSIONS: '8',
      // The request in flight when the run is stopped never gets its answer: it times out and is retried after.
      GITCTX_MODEL__TIMEOUT_MS: '3000',
    };
    const first = await runCli(['index', '-q'], { cwd: repo.dir, env });
    expect(first.code, first.stderr).toBe(0);
    const location: RemoteIndex = { uri, storageOptions: { ...storage, aws_access_key_id: S3_ACCESS_KEY_ID, aws_secret_access_key: S3_SECRET_ACCESS_KEY }, secrets: [] };
    const built = (await readIndexMeta(location))!;

    repo.write('src/c.ts', 'export const c = "a file the second run embeds";\n');
    repo.commit('another file');
    api.reset();
    api.setFaults([{ slow: 30_000 }]);
    let child: ChildProcess | undefined;
    const running = runCli(['index', '-q'], { cwd: repo.dir, env, onSpawn: (c) => (child = c) });
    // The run holds the lease once it embeds: stop it there.
    while (api.requests.length === 0) await sleep(20);
    child!.kill('SIGSTOP');

    // Minutes later by the clock of the run that takes over: the stopped one is silent past the stale time.
    const taker = await acquireRemoteLock(location, { now: () => Date.now() + REMOTE_STALE_MS + 60_000, onTakeover: () => undefined });
    const store = await IndexStore.openForWrite({ ...location, writer: taker }, built, () => undefined);
    await store.commit({ ...built, indexed_commit: 'the-new-holder' });
    store.close();
    const rows = await (await IndexStore.openForRead(location))!.countRows();

    child!.kill('SIGCONT');
    const resumed = await running;
    expect(resumed.code, resumed.stderr).toBe(9);
    const lines = resumed.stderr.split('\n').filter((l) => l !== '');
    expect(lines, resumed.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^gitctx: the writer lock of ${uri} was taken over by pid ${process.pid} on .+ since \\S+ while this run was silent`));
    expect(resumed.stdout).toBe('');

    expect(await readIndexMeta(location)).toMatchObject({ indexed_commit: 'the-new-holder', files: built.files, chunks: built.chunks });
    const reader = (await IndexStore.openForRead(location))!;
    expect(await reader.countRows()).toBe(rows);
    expect([...(await reader.storedFiles()).values()].map((f) => f.path).sort()).toEqual(['src/a.ts', 'src/b.ts']);
    reader.close();
    await taker.release();
  });
});

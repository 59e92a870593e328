/**
 * A shared index end to end, through the real binary: one clone indexes into an S3 bucket
 * (`index.db_uri`, a server on 127.0.0.1), a second clone with no `.gitctx/db` searches it
 * (CLI and MCP) and gets the answers a local index gives, with the same freshness reporting,
 * without writing a byte there; a second writer is refused; credentials are never printed.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';
import { filesUnder } from '../helpers/files.js';
import { refusedUrl } from '../helpers/fake-openai-server.js';
import { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3Server } from '../helpers/s3-server.js';
import type { S3Server } from '../helpers/s3-server.js';
import { acquireRemoteLock } from '../../src/store/remote-lock.js';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.cleanup());

const FILES = {
  'src/config.ts': 'export function parseConfig(text: string) {\n  return JSON.parse(text);\n}\n',
  'src/retry.ts': 'export async function retryWithBackoff(fn: () => Promise<void>, tries = 3) {\n  for (let i = 0; i < tries; i++) await fn();\n}\n',
  'src/mask.ts': 'export function maskSecret(secret: string) {\n  return secret.slice(0, 3) + "...";\n}\n',
  'README.md': '# demo\n\nParses config files and retries with backoff.\n',
};

/** The settings a CI job and every developer set: where the index is, how to reach it, credentials in the environment. */
function sharedEnv(prefix: string, endpoint = s3.endpoint): Record<string, string> {
  return {
    GITCTX_INDEX__DB_URI: `s3://${s3.bucket}/${prefix}`,
    GITCTX_INDEX__STORAGE_OPTIONS: `aws_endpoint=${endpoint},aws_region=us-east-1,allow_http=true,aws_virtual_hosted_style_request=false,client_max_retries=0`,
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY,
  };
}

function twoClones(): { ci: TestRepo; dev: TestRepo } {
  const origin = track(makeRepo({ files: FILES }));
  return { ci: track(cloneRepo(origin)), dev: track(cloneRepo(origin)) };
}

/** An MCP session that initializes and asks the search tool one question. */
const MCP_SEARCH = [
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'shared-index', version: '0' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'search', arguments: { query: 'parse config' } } },
]
  .map((m) => `${JSON.stringify(m)}\n`)
  .join('');

const cli = (repo: TestRepo, args: string[], env: Record<string, string>) => runCliInProcess(args, { cwd: repo.dir, env });
const resultsOf = (stdout: string) => (JSON.parse(stdout) as { results: unknown[] }).results;

describe('an index shared through object storage', () => {
  it('is built once by one clone and searched by another, with the answers of a local index and no writes', async () => {
    const { ci, dev } = twoClones();
    const env = sharedEnv('answers');
    // Real processes where stderr must stay empty: LanceDB writes its own warnings there.
    const built = await runCli(['index', '--json'], { cwd: ci.dir, env });
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(JSON.parse(built.stdout)).toMatchObject({ files: 4 });
    expect(existsSync(join(ci.dir, '.gitctx', 'db'))).toBe(false);

    const before = filesUnder(s3.dir).map((f) => [f, statSync(f).mtimeMs]);
    const requestsBefore = s3.requests.length;
    const shared = await runCli(['search', 'parse config', '--format', 'json'], { cwd: dev.dir, env });
    expect(shared.stderr).toBe('');
    expect(shared.code).toBe(0);
    expect(JSON.parse(shared.stdout)).toMatchObject({ stale: false });
    const status = await cli(dev, ['status', '--json'], env);
    expect(JSON.parse(status.stdout)).toMatchObject({ files: 4, stale: false, db_uri: `s3://${s3.bucket}/answers` });
    const mcp = await runCli(['mcp'], { cwd: dev.dir, env, input: MCP_SEARCH });
    expect(mcp.stdout).toContain('src/config.ts');
    // Read-only: nothing in the bucket changed, and no request but reads was made.
    expect(filesUnder(s3.dir).map((f) => [f, statSync(f).mtimeMs])).toEqual(before);
    expect(s3.requests.slice(requestsBefore).filter((r) => !r.startsWith('GET ') && !r.startsWith('HEAD '))).toEqual([]);
    expect(existsSync(join(dev.dir, '.gitctx', 'db'))).toBe(false);

    // The same question of a local index built from the same commit.
    expect((await cli(dev, ['index', '-q'], {})).code).toBe(0);
    const local = await cli(dev, ['search', 'parse config', '--format', 'json'], {});
    expect(resultsOf(shared.stdout).length).toBeGreaterThan(0);
    expect(resultsOf(shared.stdout)).toEqual(resultsOf(local.stdout));
  });

  it('reports a clone whose HEAD moved past the shared index as stale, like a local index', async () => {
    const { ci, dev } = twoClones();
    const env = sharedEnv('stale');
    expect((await cli(ci, ['index', '-q'], env)).code).toBe(0);
    dev.write('src/new.ts', 'export const added = 1;\n');
    dev.commit('a commit the shared index has not seen');
    const found = await cli(dev, ['search', 'retry with backoff', '--format', 'json'], env);
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ stale: true });
    expect(found.stderr).toMatch(/^gitctx: the index is at [0-9a-f]{7}, HEAD is [0-9a-f]{7}: run gitctx index\n$/);
    expect(JSON.parse((await cli(dev, ['status', '--json'], env)).stdout)).toMatchObject({ stale: true, files: 4 });
  });

  it('refuses a second writer with exit 9 and one line naming the holder, then lets the next one in', async () => {
    const { ci, dev } = twoClones();
    const env = sharedEnv('writers');
    const options = Object.fromEntries(env.GITCTX_INDEX__STORAGE_OPTIONS!.split(',').map((item) => item.split('=') as [string, string]));
    const location = { uri: env.GITCTX_INDEX__DB_URI!, storageOptions: { ...options, aws_access_key_id: S3_ACCESS_KEY_ID, aws_secret_access_key: S3_SECRET_ACCESS_KEY }, secrets: [] };
    const other = await acquireRemoteLock(location); // a CI job on another runner, mid-run
    // Its own process: the lease holder here is this test's process.
    const refused = await runCli(['index'], { cwd: dev.dir, env });
    expect(refused.code).toBe(9);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`is being written by pid ${process.pid} on `);
    await other.release();
    expect((await cli(ci, ['index', '-q'], env)).code).toBe(0);
  });

  it('never prints the storage credentials: config list masks them, and a failed connection does not echo them', async () => {
    const { dev } = twoClones();
    const env = { ...sharedEnv('secrets'), GITCTX_INDEX__STORAGE_OPTIONS: `aws_endpoint=${s3.endpoint},aws_secret_access_key=${S3_SECRET_ACCESS_KEY}` };
    const list = await runCli(['config', 'list'], { cwd: dev.dir, env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('aws_secret_access_key=wJa...iCY');
    const get = await runCli(['config', 'get', 'index.storage_options'], { cwd: dev.dir, env });
    for (const out of [list.stdout, list.stderr, get.stdout, get.stderr]) expect(out).not.toContain(S3_SECRET_ACCESS_KEY);

    const unreachable = { ...sharedEnv('secrets', await refusedUrl()), GITCTX_INDEX__STORAGE_OPTIONS: `aws_endpoint=${await refusedUrl()},allow_http=true,aws_region=us-east-1,client_max_retries=0,aws_secret_access_key=${S3_SECRET_ACCESS_KEY}` };
    for (const args of [['index'], ['status']]) {
      const failed = await runCli(args, { cwd: dev.dir, env: unreachable });
      expect(failed.code).toBe(5);
      expect(failed.stderr).toContain('the index at s3://');
      expect(failed.stderr + failed.stdout).not.toContain(S3_SECRET_ACCESS_KEY);
    }
  });
});

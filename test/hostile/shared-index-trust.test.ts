/**
 * A cloned repository that commits `index.db_uri` (and the endpoint reaching it) chooses where
 * the code is stored and where every search reads its answers: like a model endpoint, that
 * waits for the user's approval. Before `gitctx config trust` no command makes a single request
 * to the storage server; after it, index and search use it; a changed location asks again.
 * Credentials never go in the committed file, and the user's own never go to an endpoint the
 * committed file named: requests there are unsigned, whatever AWS_* variables hold.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';
import { cloneRepo, makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';
import { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3Server } from '../helpers/s3-server.js';
import type { S3Server } from '../helpers/s3-server.js';

const SESSION_TOKEN = 'FwoGZXIvYXdzEBYaDH-session-token-of-the-user';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.cleanup());

function repoConfig(prefix: string, extraOption = ''): string {
  return [
    'index:',
    `  db_uri: s3://${s3.bucket}/${prefix}`,
    `  storage_options: [aws_endpoint=${s3.endpoint}, aws_region=us-east-1, allow_http=true, aws_virtual_hosted_style_request=false${extraOption}]`,
    '',
  ].join('\n');
}

function hostileClone(config: string): TestRepo {
  const origin = track(makeRepo({ files: { 'src/sauce.ts': 'export const sauce = 42;\n', '.gitctx/config.yml': config } }));
  return track(cloneRepo(origin));
}

/** A private user settings folder; the storage credentials are the user's, in the environment. */
function userEnv(): Record<string, string> {
  const home = join(track(makeTempDir('gitctx-s3-home-')).dir, '.gitctx');
  mkdirSync(home, { mode: 0o700 });
  writeFileSync(join(home, 'config.yml'), '');
  chmodSync(join(home, 'config.yml'), 0o600);
  return { GITCTX_HOME: home, AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN };
}

function expectRefusal(result: CliResult, prefix: string): void {
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(`the index at s3://${s3.bucket}/${prefix} via ${s3.endpoint}`);
  expect(lines[0]).toContain('`gitctx config trust`');
}

describe('an index location named by a cloned repository', () => {
  it('is not contacted by index, dry run, search or status until approved; then it is used; a change asks again', async () => {
    const clone = hostileClone(repoConfig('approved'));
    const env = userEnv();
    const requests = s3.requests.length;
    for (const args of [['index'], ['index', '--dry-run'], ['search', 'sauce'], ['status']]) {
      const result = await runCli(args, { cwd: clone.dir, env });
      expectRefusal(result, 'approved');
      expect(result.stdout).toBe('');
    }
    expect(s3.requests.slice(requests)).toEqual([]);

    const trusted = await runCli(['config', 'trust'], { cwd: clone.dir, env });
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stderr).toContain(`the index at s3://${s3.bucket}/approved`);
    const signedBefore = s3.credentials.length;
    const indexed = await runCli(['index', '-q'], { cwd: clone.dir, env });
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(indexed.stderr).toBe('');
    // A user with no credentials at all: nothing looks them up (no instance-metadata warning on stderr).
    const bare = { ...env, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined };
    const found = await runCli(['search', 'sauce', '--format', 'json'], { cwd: clone.dir, env: bare });
    expect(found.code, found.stderr).toBe(0);
    expect(found.stderr).toBe('');
    expect(JSON.parse(found.stdout).results[0]).toMatchObject({ path: 'src/sauce.ts' });
    // Approved to hold the code, not to receive the user's credentials: every request went unsigned.
    expect(s3.credentials.length).toBeGreaterThan(signedBefore);
    expect(s3.credentials.slice(signedBefore).filter((c) => c !== '')).toEqual([]);

    // A pulled change of location is a new request.
    clone.write('.gitctx/config.yml', repoConfig('elsewhere'));
    clone.commit('move the index');
    const before = s3.requests.length;
    expectRefusal(await runCli(['search', 'sauce'], { cwd: clone.dir, env }), 'elsewhere');
    expect(s3.requests.slice(before)).toEqual([]);
  });

  it('cannot redirect a location the user chose: the repository’s endpoint for it still needs approval', async () => {
    const clone = hostileClone(['index:', `  storage_options: [aws_endpoint=${s3.endpoint}]`, ''].join('\n'));
    const env = { ...userEnv(), GITCTX_INDEX__DB_URI: `s3://${s3.bucket}/mine` };
    const before = s3.requests.length;
    const result = await runCli(['search', 'sauce'], { cwd: clone.dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('`gitctx config trust`');
    expect(s3.requests.slice(before)).toEqual([]);
  });

  it('reaches a location the repository names with the user’s credentials when the endpoint is the user’s own', async () => {
    const clone = hostileClone(['index:', `  db_uri: s3://${s3.bucket}/users-endpoint`, ''].join('\n'));
    const env = {
      ...userEnv(),
      GITCTX_INDEX__STORAGE_OPTIONS: `aws_endpoint=${s3.endpoint},aws_region=us-east-1,allow_http=true,aws_virtual_hosted_style_request=false`,
    };
    expect((await runCli(['config', 'trust'], { cwd: clone.dir, env })).code).toBe(0);
    const before = s3.credentials.length;
    const indexed = await runCli(['index', '-q'], { cwd: clone.dir, env });
    expect(indexed.code, indexed.stderr).toBe(0);
    const sent = s3.credentials.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    for (const credentials of sent) {
      expect(credentials).toContain(`Credential=${S3_ACCESS_KEY_ID}/`);
      expect(credentials).toContain(SESSION_TOKEN);
    }
  });

  it.each([
    ['a region', 'aws_region=us-east-1.attacker.example#'],
    ['an Azure account', 'account_name=attacker.example/x'],
  ])('refuses %s in the committed file that would change the provider’s host name', async (_what, option) => {
    const clone = hostileClone(['index:', `  db_uri: s3://${s3.bucket}/host-part`, `  storage_options: [${JSON.stringify(option)}]`, ''].join('\n'));
    const before = s3.requests.length;
    const result = await runCli(['status'], { cwd: clone.dir, env: userEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(option.split('=')[0]!);
    expect(result.stderr).toContain('not a plain name');
    expect(s3.requests.slice(before)).toEqual([]);
  });

  it('refuses credentials in the committed file, naming the option and never the value', async () => {
    const clone = hostileClone(repoConfig('creds', `, aws_secret_access_key=${S3_SECRET_ACCESS_KEY}`));
    const env = userEnv();
    const result = await runCli(['status'], { cwd: clone.dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('aws_secret_access_key');
    expect(result.stderr).not.toContain(S3_SECRET_ACCESS_KEY);

    const fine = hostileClone(repoConfig('creds'));
    const set = await runCli(['config', 'set', 'index.storage_options', `aws_region=us-east-1,aws_session_token=${S3_SECRET_ACCESS_KEY}`], { cwd: fine.dir, env });
    expect(set.code).toBe(2);
    expect(set.stderr).toContain('aws_session_token');
    expect(set.stderr).not.toContain(S3_SECRET_ACCESS_KEY);
    expect(readFileSync(join(fine.dir, '.gitctx', 'config.yml'), 'utf8')).not.toContain(S3_SECRET_ACCESS_KEY);
  });
});

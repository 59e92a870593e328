/**
 * Lock files describe a process on one machine. A committed one, or one from another
 * host, must never make a user wait in silence.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GITCTX_BIN, runCli } from '../helpers/cli.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';

const FILES = { 'src/app.ts': 'export const answer = 42;\n' };
const FOREIGN_LOCK = JSON.stringify({ pid: 1, host: 'build-box-7', token: 'f00d', started: '2024-01-01T00:00:00.000Z' });

describe('index locks', () => {
  it('a committed .gitctx/index.lock is taken over at once, with one line saying why and how to stop tracking it', async () => {
    const source = track(makeRepo({ files: FILES }));
    source.write('.gitctx/index.lock', FOREIGN_LOCK);
    source.git(['add', '-f', '.gitctx/index.lock']);
    source.commit('commit a lock by mistake');
    const clone = track(cloneRepo(source));
    const started = Date.now();
    const result = await runCli(['index'], { cwd: clone.dir });
    expect(result.code).toBe(0);
    // It used to wait ten minutes; anything near that is the old behaviour.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.stderr).toContain('.gitctx/index.lock is committed to the repository (pid 1 on build-box-7');
    expect(result.stderr).toContain('git rm --cached .gitctx/index.lock');
  });

  it('the .gitignore gitctx writes keeps locks, temp files and the database out of commits', async () => {
    const repo = track(makeRepo({ files: FILES }));
    expect((await runCli(['index', '-q'], { cwd: repo.dir })).code).toBe(0);
    for (const path of ['.gitctx/index.lock', '.gitctx/index.lock.break.tmp', '.gitctx/x.tmp', '.gitctx/db/meta.json']) {
      expect(repo.git(['check-ignore', '-v', '--no-index', path]), path).toContain('.gitctx/.gitignore');
    }
  });

  it('a lock held on another host is named on stderr at once, with how to clear it', async () => {
    const repo = track(makeRepo({ files: FILES }));
    expect((await runCli(['index', '-q'], { cwd: repo.dir })).code).toBe(0);
    writeFileSync(join(repo.dir, '.gitctx', 'index.lock'), FOREIGN_LOCK);
    const env = { ...process.env, GITCTX_HOME: join(repo.dir, '..', 'home'), NO_COLOR: '1' };
    const child = spawn(process.execPath, [GITCTX_BIN, 'index'], { cwd: repo.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`no line about the lock within 20 s; stderr: ${stderr}`)), 20_000);
      child.stderr.setEncoding('utf8').on('data', (data: string) => {
        stderr += data;
        if (stderr.includes('\n')) {
          clearTimeout(timer);
          resolve(stderr.split('\n')[0]!);
        }
      });
    });
    child.kill('SIGINT');
    await new Promise((resolve) => child.on('close', resolve));
    expect(line).toContain('waiting for .gitctx/index.lock, held by pid 1 on build-box-7 since 2024-01-01T00:00:00.000Z');
    expect(line).toContain('another machine');
    expect(line).toContain('rm .gitctx/index.lock');
  });
});

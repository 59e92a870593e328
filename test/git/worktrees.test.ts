import { describe, expect, it } from 'vitest';
import { parseWorktreeList } from '../../src/git/index.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('parseWorktreeList', () => {
  it('reads main, linked, detached, bare, locked and prunable worktrees', () => {
    const records = [
      'worktree /repo', `HEAD ${A}`, 'branch refs/heads/main', '',
      'worktree /wt/detached', `HEAD ${B}`, 'detached', 'locked moving it', '',
      'worktree /wt/gone', `HEAD ${A}`, 'branch refs/heads/x', 'prunable gitdir file points to non-existent location', '',
      'worktree /wt/new', `HEAD ${'0'.repeat(40)}`, 'branch refs/heads/unborn', '',
    ];
    expect(parseWorktreeList(Buffer.from(`${records.join('\0')}\0`))).toEqual([
      { path: '/repo', head: A, bare: false, prunable: false },
      { path: '/wt/detached', head: B, bare: false, prunable: false },
      { path: '/wt/gone', head: A, bare: false, prunable: true },
      { path: '/wt/new', head: null, bare: false, prunable: false },
    ]);
    expect(parseWorktreeList(Buffer.from('worktree /bare.git\0bare\0\0'))).toEqual([{ path: '/bare.git', head: null, bare: true, prunable: false }]);
  });
});

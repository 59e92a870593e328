import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFileFilter, tallySkips } from '../../src/filter/index.js';
import {
  defaultGitRunner,
  lastCommits,
  listTree,
  openBlobReader,
  openRepository,
  readAttributes,
} from '../../src/git/index.js';
import type { GitRunner, Repository } from '../../src/git/index.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

const GITATTRIBUTES = [
  'gen/** linguist-generated',
  'src/schema.ts linguist-generated=true',
  '*.gen linguist-generated',
  'vendor/ours/** -linguist-vendored',
  'lib/copied.js linguist-vendored',
  'public/app.min.js linguist-generated=false',
  'src/odd.ts linguist-vendored=maybe',
  '',
].join('\n');

let fixture: TestRepo;
let repo: Repository;
let spawned: string[];

beforeAll(async () => {
  fixture = makeRepo({
    files: {
      '.gitattributes': GITATTRIBUTES,
      'gen/api.ts': 'export {};\n',
      'src/schema.ts': 'export {};\n',
      'src/index.ts': 'export {};\n',
      'src/odd.ts': 'export {};\n',
      'a b/x.gen': 'generated\n',
      'odd\nname.gen': 'generated\n',
      'vendor/ours/main.go': 'package main\n',
      'vendor/theirs/lib.go': 'package lib\n',
      'lib/copied.js': 'module.exports = 1;\n',
      'public/app.min.js': 'console.log(1);\n',
      'public/other.min.js': 'console.log(2);\n',
      'package-lock.json': '{}\n',
      'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
      '.gitctx/config.yml': 'model: {}\n',
    },
  });
  spawned = [];
  const runner: GitRunner = {
    spawn(args, cwd) {
      spawned.push(args[0] ?? '');
      return defaultGitRunner.spawn(args, cwd);
    },
  };
  repo = await openRepository(fixture.dir, { runner });
});

afterAll(() => fixture.cleanup());

describe('readAttributes', () => {
  it('reads linguist attributes for all paths with one git process', async () => {
    const paths = (await listTree(repo)).map((entry) => entry.path);
    spawned.length = 0;
    const attributes = await readAttributes(repo, paths);
    expect(spawned).toEqual(['check-attr']);
    expect(Object.fromEntries(attributes)).toEqual({
      'gen/api.ts': { generated: true },
      'src/schema.ts': { generated: true },
      'a b/x.gen': { generated: true },
      'odd\nname.gen': { generated: true },
      'vendor/ours/main.go': { vendored: false },
      'lib/copied.js': { vendored: true },
      'public/app.min.js': { generated: false },
    });
    expect(await readAttributes(repo, [])).toEqual(new Map());
  });
});

describe('filtering a real tree', () => {
  it('gives each file its reason, with attributes overriding the built-in rules', async () => {
    const entries = await listTree(repo);
    const attributes = await readAttributes(repo, entries.map((entry) => entry.path));
    const filter = createFileFilter();
    const pathDecisions = entries.map((entry) => ({ entry, decision: filter.decidePath(entry, attributes.get(entry.path)) }));

    const reader = openBlobReader(repo);
    const included: string[] = [];
    const contentDecisions = [];
    try {
      const passed = pathDecisions.filter(({ decision }) => decision.include).map(({ entry }) => entry);
      let i = 0;
      for await (const { content } of reader.readMany(passed.map((entry) => entry.sha))) {
        const entry = passed[i++];
        if (entry === undefined || content === null) throw new Error('blob missing');
        const decision = filter.decideContent(entry.path, content, attributes.get(entry.path));
        contentDecisions.push(decision);
        if (decision.include) included.push(entry.path);
      }
    } finally {
      await reader.close();
    }

    expect(included.sort()).toEqual(['.gitattributes', 'public/app.min.js', 'src/index.ts', 'src/odd.ts', 'vendor/ours/main.go']);
    expect(tallySkips([...pathDecisions.map(({ decision }) => decision), ...contentDecisions])).toEqual({
      gitctx: 1,
      'lock-file': 1,
      vendored: 2,
      generated: 5,
      binary: 1,
    });
    // Metadata for the included files, still from one process.
    spawned.length = 0;
    const commits = await lastCommits(repo, included);
    expect(commits.size).toBe(included.length);
    expect(spawned).toEqual(['log']);
  });
});

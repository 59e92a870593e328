/**
 * Which settings decide where data goes, what a repository's file asks for, where the user's key
 * may go, and the approvals file: private, bound to a hash, keyed by the real root path.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  approve,
  approvalsPath,
  describeAllowed,
  ENDPOINT_SETTINGS,
  EndpointNotApprovedError,
  endpointRequest,
  keyMayBeSent,
  readApprovals,
  requireApprovedEndpoint,
  revoke,
  SETTING_KEYS,
} from '../../src/config/index.js';
import { ExitCode } from '../../src/errors.js';
import { resolvedLayers, type Layers } from '../helpers/settings-layers.js';


const URL_A = 'http://127.0.0.1:9/v1';
const URL_B = 'http://127.0.0.1:10/v1';

describe('endpointRequest', () => {
  it.each<[string, Layers, string | undefined]>([
    ['nothing set', {}, undefined],
    ['the repository picks the local model', { repo: { 'model.embedding': 'local' } }, undefined],
    ['the repository picks local-v2, which sends nothing either', { repo: { 'model.embedding': 'local-v2', 'model.base_url': URL_A } }, undefined],
    ['a repository base_url with the local model sends nothing', { repo: { 'model.base_url': URL_A } }, undefined],
    ['the repository picks an API model', { repo: { 'model.embedding': 'text-embedding-3-small' } }, 'the OpenAI API'],
    ['the repository picks a model and an endpoint', { repo: { 'model.embedding': 'any', 'model.base_url': URL_A } }, URL_A],
    ['the user picks the model, the repository the endpoint', { repo: { 'model.base_url': URL_A }, env: { 'model.embedding': 'any' } }, URL_A],
    ['the user picks the endpoint', { repo: { 'model.embedding': 'any', 'model.base_url': URL_A }, user: { 'model.base_url': URL_B } }, undefined],
    ['the user overrides the model with local', { repo: { 'model.embedding': 'any', 'model.base_url': URL_A }, flag: { 'model.embedding': 'local' } }, undefined],
    ['the user picks everything', { user: { 'model.embedding': 'any', 'model.base_url': URL_B } }, undefined],
  ])('%s', (_name, layers, endpoint) => {
    expect(endpointRequest(resolvedLayers(layers))?.endpoint).toBe(endpoint);
  });

  it('binds to the repository file’s values: another endpoint is another hash, other settings are not', () => {
    const a = endpointRequest(resolvedLayers({ repo: { 'model.embedding': 'any', 'model.base_url': URL_A } }))!;
    const b = endpointRequest(resolvedLayers({ repo: { 'model.embedding': 'any', 'model.base_url': URL_B } }))!;
    const c = endpointRequest(resolvedLayers({ repo: { 'model.embedding': 'other', 'model.base_url': URL_A } }))!;
    const same = endpointRequest(resolvedLayers({ repo: { 'model.embedding': 'any', 'model.base_url': URL_A, 'search.limit': 3 } }))!;
    expect(new Set([a.hash, b.hash, c.hash]).size).toBe(3);
    expect(same.hash).toBe(a.hash);
  });

  it('lists every setting whose value is a URL', () => {
    const urls = SETTING_KEYS.filter((k) => describeAllowed(k).includes('URL')).map((k) => k.key);
    expect(urls.length).toBeGreaterThan(0);
    for (const key of urls) expect(ENDPOINT_SETTINGS.has(key)).toBe(true);
  });
});

describe('keyMayBeSent', () => {
  it.each<[string, Layers, boolean]>([
    ['OpenAI’s own API', { repo: { 'model.embedding': 'text-embedding-3-small' } }, true],
    ['a base_url the repository named', { repo: { 'model.base_url': URL_A } }, false],
    ['a base_url in the user file', { repo: { 'model.base_url': URL_A }, user: { 'model.base_url': URL_B } }, true],
    ['a base_url from the environment', { env: { 'model.base_url': URL_B } }, true],
  ])('%s: %s', (_name, layers, expected) => {
    expect(keyMayBeSent(resolvedLayers(layers))).toBe(expected);
  });
});

describe('the approvals file', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let repo: string;
  const hostile = () => resolvedLayers({ repo: { 'model.embedding': 'any', 'model.base_url': URL_A } });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitctx-approvals-'));
    env = { GITCTX_HOME: join(dir, 'home') };
    repo = join(dir, 'repo');
    await mkdir(repo);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses until approved, then accepts; a changed endpoint or a withdrawal refuses again', async () => {
    const refusal = requireApprovedEndpoint(repo, hostile(), { env, cwd: repo });
    await expect(refusal).rejects.toBeInstanceOf(EndpointNotApprovedError);
    await expect(refusal).rejects.toMatchObject({ exitCode: ExitCode.usage });
    await approve(repo, endpointRequest(hostile())!, env);
    await requireApprovedEndpoint(repo, hostile(), { env });
    expect((await stat(approvalsPath(env))).mode & 0o777).toBe(0o600);

    const moved = resolvedLayers({ repo: { 'model.embedding': 'any', 'model.base_url': URL_B } });
    await expect(requireApprovedEndpoint(repo, moved, { env, cwd: repo })).rejects.toThrow(/changed since you approved/);
    expect(await revoke(repo, env)).toBe(true);
    expect(await revoke(repo, env)).toBe(false);
    await expect(requireApprovedEndpoint(repo, hostile(), { env })).rejects.toThrow(/not approved/);
  });

  it('names the command to paste, with a cd when run from elsewhere', async () => {
    await expect(requireApprovedEndpoint(repo, hostile(), { env, cwd: repo })).rejects.toThrow('run `gitctx config trust` to approve it');
    await expect(requireApprovedEndpoint(repo, hostile(), { env, cwd: dir })).rejects.toThrow(`run \`cd '${repo}' && gitctx config trust\``);
  });

  it('keys approvals by the real path: the same repository through a link is approved too', async () => {
    await approve(repo, endpointRequest(hostile())!, env);
    await symlink(repo, join(dir, 'link'));
    await requireApprovedEndpoint(join(dir, 'link'), hostile(), { env });
    expect((await readApprovals(approvalsPath(env))).map((a) => a.root)).toEqual([repo]);
  });

  it.each([
    ['readable by others', '{"version":1,"approvals":[]}', 0o644, /readable by others/],
    ['not JSON', '{', 0o600, /not valid JSON/],
    ['another shape', '{"version":1,"approvals":[{"root":1}]}', 0o600, /not a version 1 approvals file/],
  ])('refuses a file %s (exit 2) and leaves it as it was', async (_name, text, mode, message) => {
    await mkdir(join(dir, 'home'), { mode: 0o700 });
    await writeFile(approvalsPath(env), text);
    await chmod(approvalsPath(env), mode);
    await expect(approve(repo, endpointRequest(hostile())!, env)).rejects.toThrow(message);
    await expect(requireApprovedEndpoint(repo, hostile(), { env })).rejects.toMatchObject({ exitCode: ExitCode.usage });
    expect(await readFile(approvalsPath(env), 'utf8')).toBe(text);
  });
});

/**
 * A cloned repository's `.gitctx/config.yml` cannot choose where model weights come from without
 * the user's approval: a hub it names (`model.hub_url`) could serve any weights and learns which
 * model is used. Until `gitctx config trust`, index exits 2 with one line naming the hub, and the
 * hub gets no request; a changed hub needs a new approval; a hub the user named (HF_ENDPOINT, the
 * user file) needs none. The user's hub token goes only to a hub the user chose, and is masked.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointRequest, hubTokenMayBeSent } from '../../src/config/index.js';
import { track } from '../helpers/cleanup.js';
import { runCli } from '../helpers/cli.js';
import { startFakeHub } from '../helpers/fake-hub-server.js';
import type { FakeHub } from '../helpers/fake-hub-server.js';
import { cloneRepo, makeRepo, makeTempDir } from '../helpers/git-repo.js';
import { resolvedLayers, type Layers } from '../helpers/settings-layers.js';

const MODEL = 'hf:tiny-org/tiny-model';
const HUB_A = 'http://127.0.0.1:9/hub';
const HUB_B = 'http://127.0.0.1:10/hub';
const TOKEN = 'hf_userToken_Qm4x9Lz2';


describe('a hub named in settings', () => {
  it.each<[string, Layers, RegExp | undefined]>([
    ['the repository names a hub for a hub model', { repo: { 'model.embedding': MODEL, 'model.hub_url': HUB_A } }, /^http:\/\/127\.0\.0\.1:9\/hub$|downloads model files from http:\/\/127\.0\.0\.1:9\/hub$/],
    ['the user picks the model, the repository the hub', { repo: { 'model.hub_url': HUB_A }, user: { 'model.embedding': MODEL } }, /127\.0\.0\.1:9\/hub/],
    ['the user names their own hub, the repository the model', { repo: { 'model.embedding': MODEL, 'model.hub_url': HUB_A }, env: { 'model.hub_url': HUB_B } }, /^http:\/\/127\.0\.0\.1:10\/hub$/],
    ['the user names their own hub and model', { repo: { 'model.hub_url': HUB_A }, env: { 'model.hub_url': HUB_B, 'model.embedding': MODEL } }, undefined],
    ['a built-in local model downloads nothing', { repo: { 'model.embedding': 'local', 'model.hub_url': HUB_A } }, undefined],
    ['the repository names no hub', { user: { 'model.embedding': MODEL } }, undefined],
  ])('%s', (_name, layers, endpoint) => {
    const request = endpointRequest(resolvedLayers(layers));
    // Whether the model itself needs approval is the API side's business: here, only the hub counts.
    if (endpoint === undefined) expect(request?.values.map(([key]) => key) ?? []).not.toContain('model.hub_url');
    else expect(request?.endpoint).toMatch(endpoint);
  });

  it('binds the approval to the hub: another hub is another hash, and one approval covers API and hub together', () => {
    const a = endpointRequest(resolvedLayers({ repo: { 'model.embedding': MODEL, 'model.hub_url': HUB_A } }))!;
    const b = endpointRequest(resolvedLayers({ repo: { 'model.embedding': MODEL, 'model.hub_url': HUB_B } }))!;
    expect(a.hash).not.toBe(b.hash);
    const both = endpointRequest(
      resolvedLayers({ repo: { 'model.embedding': 'any-name', 'model.base_url': 'http://127.0.0.1:11/v1', 'model.hub_url': HUB_A } }),
    )!;
    expect(both.values.map(([key]) => key)).toEqual(['model.base_url', 'model.embedding', 'model.hub_url']);
    expect(both.endpoint).toBe('http://127.0.0.1:11/v1 and downloads model files from http://127.0.0.1:9/hub');
  });

  it('treats ONNX models as in process: a preset from the repository needs no approval, any hf: weights it names do', () => {
    expect(endpointRequest(resolvedLayers({ repo: { 'model.embedding': 'bge-small-en-v1.5' } }))).toBeUndefined();
    const hf = endpointRequest(resolvedLayers({ repo: { 'model.embedding': MODEL } }))!;
    expect(hf.endpoint).toBe('https://huggingface.co');
    expect(hf.action).toBe('downloads model files from');
    expect(hf.values.map(([key]) => key)).toEqual(['model.embedding', 'model.hub_url']);
    // Approval is bound to the model: another hf: model asks again.
    const other = endpointRequest(resolvedLayers({ repo: { 'model.embedding': 'hf:tiny-org/other-model' } }))!;
    expect(other.hash).not.toBe(hf.hash);
    // The user chose the model: nothing to approve.
    expect(endpointRequest(resolvedLayers({ user: { 'model.embedding': MODEL } }))).toBeUndefined();
  });

  it('sends the user’s token to the default hub or one the user named, never to one the repository named', () => {
    expect(hubTokenMayBeSent(resolvedLayers({ user: { 'model.embedding': MODEL } }))).toBe(true);
    expect(hubTokenMayBeSent(resolvedLayers({ env: { 'model.hub_url': HUB_B } }))).toBe(true);
    expect(hubTokenMayBeSent(resolvedLayers({ repo: { 'model.hub_url': HUB_A } }))).toBe(false);
    expect(hubTokenMayBeSent(resolvedLayers({ repo: { 'model.hub_url': HUB_A }, user: { 'model.hub_url': HUB_B } }))).toBe(true);
  });
});

describe('a hub named by a cloned repository, through the command line', () => {
  let hub: FakeHub;
  beforeAll(async () => {
    hub = await startFakeHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  function hostileClone(hubUrl: string) {
    const origin = track(
      makeRepo({
        files: {
          'src/app.ts': 'export const answer = 42;\n',
          '.gitctx/config.yml': `model:\n  embedding: ${MODEL}\n  hub_url: ${hubUrl}\n`,
        },
      }),
    );
    return { origin, clone: track(cloneRepo(origin)) };
  }

  function userHome(): string {
    const home = join(track(makeTempDir('gitctx-hub-trust-')).dir, '.gitctx');
    mkdirSync(home, { mode: 0o700 });
    writeFileSync(join(home, 'config.yml'), `api_keys:\n  huggingface: ${TOKEN}\n`);
    chmodSync(join(home, 'config.yml'), 0o600);
    return home;
  }

  it('index exits 2 naming the hub until approved, the hub sees nothing, and a moved hub is asked about again', async () => {
    const { origin, clone } = hostileClone(hub.url);
    const home = userHome();
    const refused = await runCli(['index'], { cwd: clone.dir, env: { GITCTX_HOME: home } });
    expect(refused.code, refused.stderr).toBe(2);
    const lines = refused.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`downloads model files from ${hub.url}`);
    expect(lines[0]).toContain('`gitctx config trust`');
    expect(hub.requests).toEqual([]);

    const trusted = await runCli(['config', 'trust'], { cwd: clone.dir, env: { GITCTX_HOME: home } });
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stderr).toContain(hub.url);

    origin.write('.gitctx/config.yml', `model:\n  embedding: ${MODEL}\n  hub_url: ${HUB_B}\n`);
    origin.commit('move the hub');
    clone.git(['pull', '-q', '--ff-only']);
    const moved = await runCli(['index'], { cwd: clone.dir, env: { GITCTX_HOME: home } });
    expect(moved.code, moved.stderr).toBe(2);
    expect(moved.stderr).toContain('changed since you approved');
    expect(moved.stderr).toContain(HUB_B);
    expect(hub.requests).toEqual([]);
  });

  it('HF_ENDPOINT and HF_TOKEN are read as the user’s settings, the token shown masked', async () => {
    const repo = track(makeRepo({ files: { 'a.ts': 'export {};\n' } }));
    const env = { HF_ENDPOINT: HUB_B, HF_TOKEN: TOKEN };
    const url = await runCli(['config', 'get', 'model.hub_url'], { cwd: repo.dir, env });
    expect(url.code, url.stderr).toBe(0);
    expect(url.stdout.trim()).toBe(HUB_B);
    const token = await runCli(['config', 'get', 'api_keys.huggingface'], { cwd: repo.dir, env });
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout.trim()).toBe('hf_...Lz2');
    const list = await runCli(['config', 'list'], { cwd: repo.dir, env });
    expect(list.stdout + list.stderr).not.toContain(TOKEN);
  });

  it('refuses a hub token in the committed repository file', async () => {
    const repo = track(makeRepo({ files: { '.gitctx/config.yml': `api_keys:\n  huggingface: ${TOKEN}\n` } }));
    const result = await runCli(['config', 'list'], { cwd: repo.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('gitctx config set --user api_keys.huggingface');
    expect(result.stderr).not.toContain(TOKEN);
  });
});

/**
 * Where code, queries and keys go, and what a repository's committed settings ask for.
 *
 * A cloned repository's `.gitctx/config.yml` is written by someone else. The settings that decide
 * where data is sent (an endpoint, or choosing an API model at all) take effect from that file
 * only once the user has approved them; the approval is bound to a hash of exactly those values,
 * so a changed endpoint needs a new one. Values the user set (user file, environment, flags) need
 * no approval: they are the user's own choice. Pure: the approval record is read elsewhere.
 */
import { createHash } from 'node:crypto';
import { displayUrl } from '../embed/mask.js';
import { printable } from '../printable.js';
import { isLocalModel, localModelNamed } from '../embed/names.js';
import { DEFAULT_HUB_URL } from '../embed/hub/index.js';
import { HF_PREFIX, isOnnxModelName } from '../embed/onnx/presets.js';
import type { ResolvedSettings, SettingSource } from './resolve.js';

/**
 * Every setting that decides where data goes, with the values that do. A new setting naming a
 * host (a hub, an object-storage URI) belongs here; a test checks that every URL-typed key is.
 */
export const ENDPOINT_SETTINGS: ReadonlyMap<string, (value: unknown) => boolean> = new Map([
  ['model.base_url', () => true],
  // Choosing an API model sends code to an API; the built-in local models and ONNX models send nothing
  // (an `hf:` model named by a repository is approved as a download, in hubRequest).
  ['model.embedding', (value: unknown) => typeof value === 'string' && !isLocalModel(value) && !isOnnxModelName(value.trim())],
  // Where model weights come from: a hub a repository names could serve any weights, and learns which model is used.
  ['model.hub_url', () => true],
]);

/** The hub setting is approved on its own terms (hubRequest); the others decide where code goes. */
const HUB_SETTING = 'model.hub_url';
const API_SETTINGS = [...ENDPOINT_SETTINGS.keys()].filter((key) => key !== HUB_SETTING);

const USER_SOURCES: ReadonlySet<SettingSource> = new Set(['user', 'env', 'flag']);

/** What a repository's file asks for: the values to approve and where they send data. */
export interface EndpointRequest {
  /** The repository file's endpoint-deciding values, by key, in key order. */
  values: readonly (readonly [string, string])[];
  /** sha256 of `values`: what an approval is bound to. */
  hash: string;
  /** Where data would go, as it may be shown (no credentials, no query). */
  endpoint: string;
  /** The model it would be sent to. */
  model: string;
  /** Where the index would live, when the repository places it on object storage. */
  index?: string;
  /** What the settings do with `endpoint`, for messages; unset: "sends code and queries to". */
  action?: string;
}

/** `the OpenAI API` or the URL without its credentials. */
export function endpointName(baseUrl: string | undefined): string {
  return baseUrl === undefined ? 'the OpenAI API' : displayUrl(baseUrl);
}

/**
 * The endpoint request the repository's file makes in these settings, or undefined when that file
 * decides nothing about where data goes: the API endpoint (apiRequest) and the model hub
 * (hubRequest), approved together, so one `gitctx config trust` covers both.
 */
export function endpointRequest(resolved: ResolvedSettings): EndpointRequest | undefined {
  const api = apiRequest(resolved);
  const hub = hubRequest(resolved);
  if (hub === undefined) return api;
  // An approval of repository-chosen `hf:` weights is bound to that model too: another one asks again.
  const model = resolved.settings.model.embedding.trim();
  const hfFromRepo = resolved.sources.get('model.embedding') === 'repo' && model.startsWith(HF_PREFIX);
  const values = [...(api?.values ?? []), ['model.hub_url', hub] as const, ...(hfFromRepo ? [['model.embedding', model] as const] : [])].sort(
    ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
  );
  const hash = createHash('sha256').update(JSON.stringify(values)).digest('hex');
  const from = `downloads model files from ${displayUrl(hub)}`;
  if (api === undefined) return { values, hash, endpoint: displayUrl(hub), model: resolved.settings.model.embedding, action: 'downloads model files from' };
  return { values, hash, endpoint: `${api.endpoint} and ${from}`, model: api.model };
}

/**
 * The hub the repository's file names, when it decides where model files come from: the user set
 * no hub of their own and the model is not one of the built-in ones (which download nothing).
 */
function hubRequest(resolved: ResolvedSettings): string | undefined {
  if (localModelNamed(resolved.settings.model.embedding) !== undefined) return undefined;
  if (resolved.sources.get(HUB_SETTING) === 'repo') {
    const value = resolved.repoValues.get(HUB_SETTING);
    return typeof value === 'string' ? value : undefined;
  }
  // Any weights from any hub repository, chosen by the repository: the user approves running them.
  // The presets are pinned, well-known models, and need no approval.
  const model = resolved.settings.model.embedding.trim();
  if (resolved.sources.get('model.embedding') === 'repo' && model.startsWith(HF_PREFIX)) return resolved.settings.model.hub_url ?? DEFAULT_HUB_URL;
  return undefined;
}

/**
 * Where the repository's file sends code and queries: undefined when the effective model is local
 * (nothing is sent), the user chose the endpoint themselves, or the file sets no value that applies.
 */
function apiRequest(resolved: ResolvedSettings): EndpointRequest | undefined {
  const { model } = resolved.settings;
  if (isLocalModel(model.embedding) || isOnnxModelName(model.embedding.trim())) return undefined;
  // The user named the endpoint: the repository only picks which of its models, not where data goes.
  if (USER_SOURCES.has(resolved.sources.get('model.base_url') ?? 'default')) return undefined;
  const decides = (key: string, value: unknown) => ENDPOINT_SETTINGS.get(key)?.(value) === true;
  const applies = API_SETTINGS.some(
    (key) => resolved.sources.get(key) === 'repo' && decides(key, resolved.repoValues.get(key)),
  );
  if (!applies) return undefined;
  const values = [...API_SETTINGS]
    .sort()
    .filter((key) => resolved.repoValues.has(key) && decides(key, resolved.repoValues.get(key)))
    .map((key) => [key, String(resolved.repoValues.get(key))] as const);
  const hash = createHash('sha256').update(JSON.stringify(values)).digest('hex');
  return { values, hash, endpoint: endpointName(model.base_url), model: model.embedding };
}

/**
 * Whether the user's OpenAI key may go with requests: to OpenAI's own API, or to an endpoint the
 * user named. Never to one a repository named, approved or not: approving an endpoint lets it see
 * the code, not spend the user's key.
 */
export function keyMayBeSent(resolved: ResolvedSettings): boolean {
  if (resolved.settings.model.base_url === undefined) return true;
  return USER_SOURCES.has(resolved.sources.get('model.base_url') ?? 'default');
}

/**
 * Whether the user's hub token may go with requests to the hub: the default hub, or one the user
 * named. Never to a hub a repository named, approved or not (as keyMayBeSent for the OpenAI key).
 */
export function hubTokenMayBeSent(resolved: ResolvedSettings): boolean {
  return resolved.sources.get(HUB_SETTING) !== 'repo';
}

/**
 * `http://host/v1 (model "any-name")`, quoted so a hostile name cannot pass for something else,
 * and neutralised: both come from a repository's settings and are printed to a terminal.
 */
export function describeRequest(request: Pick<EndpointRequest, 'endpoint' | 'model' | 'index'>): string {
  const model = printable(`${request.endpoint} (model ${JSON.stringify(request.model)})`);
  if (request.index === undefined) return model;
  const index = printable(`the index at ${request.index}`);
  return request.model === '' ? index : `${model} and ${index}`;
}

/**
 * The settings that place the index on object storage. Whatever the model, an index there holds
 * the code, and every search reads its answers from it: a repository may choose it (or the
 * endpoint that reaches it) only with the user's approval. One the user chose needs none.
 */
const STORAGE_SETTINGS = ['index.db_uri', 'index.storage_options'] as const;

function storageValues(resolved: ResolvedSettings): [string, string][] {
  if (resolved.settings.index.db_uri === undefined) return [];
  return STORAGE_SETTINGS.filter((key) => resolved.sources.get(key) === 'repo' && resolved.repoValues.has(key)).map((key) => [
    key,
    String(resolved.repoValues.get(key)),
  ]);
}

/** `s3://bucket/prefix`, with the endpoint that reaches it when the options name one. */
function indexName(resolved: ResolvedSettings): string {
  const { db_uri, storage_options } = resolved.settings.index;
  const endpoint = storage_options.map((item) => /^(?:aws_)?endpoint(?:_url)?=(.*)$/.exec(item)?.[1]).find((e) => e !== undefined);
  return `${db_uri ?? ''}${endpoint === undefined ? '' : ` via ${displayUrl(endpoint)}`}`;
}

/**
 * Everything the repository's file asks the user to approve: the model's endpoint
 * (`endpointRequest`) and where the index lives, bound to one hash. Without an index setting
 * from the repository it is exactly `endpointRequest`, so earlier approvals still hold.
 */
export function approvalRequest(resolved: ResolvedSettings): EndpointRequest | undefined {
  const model = endpointRequest(resolved);
  const storage = storageValues(resolved);
  if (storage.length === 0) return model;
  const values = [...(model?.values ?? []), ...storage].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256').update(JSON.stringify(values)).digest('hex');
  return {
    values,
    hash,
    endpoint: model?.endpoint ?? '',
    model: model?.model ?? '',
    ...(model?.action !== undefined ? { action: model.action } : {}),
    index: indexName(resolved),
  };
}

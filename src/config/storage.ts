/**
 * Settings of an index kept on object storage: `index.db_uri` (a LanceDB URI, `s3://bucket/prefix`,
 * `gs://...`, `az://...`) and `index.storage_options` (`name=value` items LanceDB connects with:
 * endpoint, region, credentials...). Credentials are treated like API keys: any option whose name
 * says it is a secret lives only in the user file or the environment, and is shown masked; the
 * repository's committed file may name only the options in REPO_STORAGE_OPTIONS, which say where the
 * storage is, never who may use it. Pure.
 */
import { displayUrl, maskSecret, urlSecrets } from '../embed/mask.js';
import { UsageError } from '../errors.js';
import type { RemoteIndex } from '../store/location.js';
import type { ResolvedSettings } from './resolve.js';
import type { Settings } from './schema.js';

/** `s3://bucket`, `gs://bucket/some/prefix`, `az://container/prefix`: no credentials, query or fragment in it. */
export const DB_URI_PATTERN = /^(?:s3|gs|az):\/\/[a-z0-9][a-z0-9._-]{1,253}(?:\/[A-Za-z0-9._\-/]*)?$/;
export const STORAGE_OPTION_PATTERN = /^[a-z][a-z0-9_]{0,63}=/;

/** Option names that may hold a credential: masked everywhere, refused in the repo file. */
const SECRET_NAME = /secret|token|password|passwd|key|sas|credential|signature/i;

/** What the repository's file may set: where the storage is and how to talk to it. */
export const REPO_STORAGE_OPTIONS: ReadonlySet<string> = new Set([
  'endpoint', 'aws_endpoint', 'endpoint_url', 'aws_endpoint_url',
  'region', 'aws_region', 'default_region', 'aws_default_region',
  'allow_http', 'aws_allow_http',
  'virtual_hosted_style_request', 'aws_virtual_hosted_style_request',
  'connect_timeout', 'timeout', 'client_max_retries', 'client_retry_timeout',
  'account_name', 'azure_storage_account_name',
]);

/** The options that name the host requests go to, instead of the provider's own. */
const ENDPOINT_OPTIONS: ReadonlySet<string> = new Set(['endpoint', 'aws_endpoint', 'endpoint_url', 'aws_endpoint_url']);

/**
 * Values the repository's file may give the options that become part of a provider's host name
 * (`https://s3.{region}.amazonaws.com`, `https://{account}.blob.core.windows.net`): a plain name,
 * so a region such as `x.example.com#` cannot turn the provider's own endpoint into another host.
 */
const REPO_HOST_PART: ReadonlyMap<string, RegExp> = new Map([
  ...['region', 'aws_region', 'default_region', 'aws_default_region'].map((name) => [name, /^[A-Za-z0-9-]{1,64}$/] as const),
  ...['account_name', 'azure_storage_account_name'].map((name) => [name, /^[A-Za-z0-9]{1,64}$/] as const),
]);

/** What tells object_store to send requests unsigned, by scheme: it then looks up no credentials at all. */
const SKIP_SIGNATURE: Readonly<Record<string, string>> = { s3: 'aws_skip_signature', gs: 'google_skip_signature', az: 'azure_skip_signature' };

/** Environment variables object_store reads credentials from, masked wherever they could be echoed. */
const SECRET_ENV = /^(?:AWS|GOOGLE|AZURE)_[A-Z0-9_]*(?:SECRET|TOKEN|KEY|PASSWORD)[A-Z0-9_]*$/;

export function isSecretStorageOption(name: string): boolean {
  return SECRET_NAME.test(name);
}

function splitOption(item: string): [string, string] {
  const at = item.indexOf('=');
  return at === -1 ? [item, ''] : [item.slice(0, at), item.slice(at + 1)];
}

/** `name=value` items as LanceDB's storage options; a later item wins. */
export function storageOptionsOf(items: readonly string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const item of items) {
    const [name, value] = splitOption(item);
    options[name] = value;
  }
  return options;
}

/** The items as they may be shown: secret values masked. */
export function maskStorageOptions(items: readonly unknown[]): unknown[] {
  return items.map((item) => {
    if (typeof item !== 'string') return item;
    const [name, value] = splitOption(item);
    if (isSecretStorageOption(name)) return `${name}=${maskSecret(value)}`;
    // An endpoint may carry a user and password (`http://user:pass@host`): shown without them.
    return /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value) ? `${name}=${displayUrl(value)}` : item;
  });
}

/**
 * Throws when the repository's committed file names a storage option it may not: a credential
 * (named, never quoted) or anything beyond where the storage is.
 */
export function assertRepoStorageOptions(items: readonly unknown[], origin: string): void {
  for (const item of items) {
    if (typeof item !== 'string') continue;
    const [name, value] = splitOption(item);
    const hostPart = REPO_HOST_PART.get(name);
    if (hostPart !== undefined && !hostPart.test(value)) {
      throw new UsageError(`${origin}: index.storage_options sets ${name} to a value that is not a plain name (letters, digits, '-'): it becomes part of the storage's host name`);
    }
    if (REPO_STORAGE_OPTIONS.has(name)) continue;
    const why = isSecretStorageOption(name)
      ? 'credentials live only in your user file or environment, because the repo file is committed'
      : `the repo file may set only ${[...REPO_STORAGE_OPTIONS].join(', ')}`;
    throw new UsageError(
      `${origin}: index.storage_options sets ${name}, which is not allowed there (${why}): run \`gitctx config set --user index.storage_options ...\``,
    );
  }
}

/** Every credential the settings and the environment hold for object storage, to scrub from messages. */
export function storageSecrets(items: readonly unknown[], env: NodeJS.ProcessEnv = process.env): string[] {
  const fromOptions = items
    .filter((item): item is string => typeof item === 'string')
    .map(splitOption)
    .flatMap(([name, value]) => (isSecretStorageOption(name) ? [value] : urlSecrets(value)));
  const fromEnv = Object.entries(env)
    .filter(([name, value]) => SECRET_ENV.test(name) && value !== undefined && value !== '')
    .map(([, value]) => value as string);
  return [...fromOptions, ...fromEnv].filter((s) => s !== '');
}

/**
 * Whether the user's storage credentials may go with requests to the index's storage: to the
 * provider's own endpoint, or to one the user named (user file, environment, flag). Never to an
 * endpoint the repository's file named, approved or not, as for the OpenAI key (keyMayBeSent):
 * approving a location lets it hold the code, not receive requests signed with the user's keys.
 * A user's own `index.storage_options` replaces the repository's whole list, endpoint included.
 */
export function storageCredentialsMayBeSent(resolved: ResolvedSettings): boolean {
  if (resolved.sources.get('index.storage_options') !== 'repo') return true;
  return !resolved.settings.index.storage_options.some((item) => ENDPOINT_OPTIONS.has(splitOption(item)[0]));
}

/**
 * The index on object storage the settings name; undefined for the local `.gitctx/db`. Without
 * `credentials`, requests go unsigned: object_store then reads no AWS_*, GOOGLE_* or AZURE_*
 * credential, profile or instance role, and the options carry none.
 */
export function remoteIndexOf(settings: Settings, env: NodeJS.ProcessEnv = process.env, credentials = true): RemoteIndex | undefined {
  const uri = settings.index.db_uri;
  if (uri === undefined) return undefined;
  const storageOptions = storageOptionsOf(settings.index.storage_options);
  if (!credentials) {
    for (const name of Object.keys(storageOptions)) if (isSecretStorageOption(name)) delete storageOptions[name];
    const scheme = uri.slice(0, 2);
    storageOptions[SKIP_SIGNATURE[scheme] ?? 'aws_skip_signature'] = 'true';
    // Empty keys of its own keep LanceDB from running the AWS credential chain at all (environment,
    // profiles, the instance-metadata service), which it would for nothing, warning on stderr off EC2.
    if (scheme === 's3') Object.assign(storageOptions, { aws_access_key_id: '', aws_secret_access_key: '' });
  }
  return {
    uri: uri.replace(/\/+$/, ''),
    storageOptions,
    secrets: storageSecrets(settings.index.storage_options, env),
    ...(credentials ? {} : { anonymous: true as const }),
  };
}

/** The index on object storage these settings name, with the user's credentials only where storageCredentialsMayBeSent allows. */
export function remoteIndexFor(resolved: ResolvedSettings, env: NodeJS.ProcessEnv = process.env): RemoteIndex | undefined {
  return remoteIndexOf(resolved.settings, env, storageCredentialsMayBeSent(resolved));
}

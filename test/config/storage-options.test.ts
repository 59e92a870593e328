/**
 * The settings of an index on object storage: which storage options a committed file may set,
 * how credentials among them are masked and collected for scrubbing, and what a repository's
 * choice of location asks the user to approve.
 */
import { describe, expect, it } from 'vitest';
import {
  approvalRequest,
  endpointRequest,
  flattenSettingsDocument,
  formatSettingValue,
  remoteIndexFor,
  remoteIndexOf,
  storageCredentialsMayBeSent,
} from '../../src/config/index.js';
import { storageSecrets } from '../../src/config/storage.js';
import { AuthError, UsageError } from '../../src/errors.js';
import { remoteError } from '../../src/store/connect.js';
import { resolvedLayers, type Layers } from '../helpers/settings-layers.js';


const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

describe('index.storage_options', () => {
  it.each([
    ['aws_secret_access_key', true],
    ['aws_session_token', true],
    ['azure_storage_account_key', true],
    ['google_service_account_key', true],
    ['aws_access_key_id', true],
    ['aws_endpoint', false],
    ['aws_region', false],
  ])('%s in the committed file is refused: %s', (name, refused) => {
    const doc = { index: { storage_options: [`${name}=${SECRET}`] } };
    const outcome = (() => {
      try {
        flattenSettingsDocument(doc, '.gitctx/config.yml', 'repo');
        return undefined;
      } catch (err) {
        return err as Error;
      }
    })();
    expect(outcome instanceof UsageError).toBe(refused);
    if (outcome) {
      expect(outcome.message).toContain(name);
      expect(outcome.message).not.toContain(SECRET);
    }
    // The user's own file may hold anything.
    expect(() => flattenSettingsDocument(doc, 'config.yml', 'user')).not.toThrow();
  });

  it('shows credentials masked and endpoints without their password', () => {
    const shown = formatSettingValue('index.storage_options', [`aws_secret_access_key=${SECRET}`, 'aws_endpoint=http://me:hunter22@minio:9000', 'aws_region=us-east-1']);
    expect(shown).toBe('aws_secret_access_key=wJa...KEY,aws_endpoint=http://minio:9000,aws_region=us-east-1');
  });

  it('collects every credential to scrub, from the options and the environment', () => {
    const env = { AWS_SECRET_ACCESS_KEY: 'env-secret-123', AWS_REGION: 'us-east-1', AZURE_STORAGE_SAS_TOKEN: 'sas-456789', HOME: '/home/x' };
    expect(storageSecrets([`aws_session_token=${SECRET}`, 'aws_endpoint=http://me:hunter22@minio:9000', 'aws_region=eu'], env).sort()).toEqual(
      [SECRET, 'hunter22', 'env-secret-123', 'sas-456789'].sort(),
    );
  });

  it('makes a remote index of the settings, trailing slash dropped; none without db_uri', () => {
    const settings = resolvedLayers({ user: { 'index.db_uri': 's3://bucket/team/repo/', 'index.storage_options': ['aws_region=us-east-1'] } }).settings;
    expect(remoteIndexOf(settings, {})).toEqual({ uri: 's3://bucket/team/repo', storageOptions: { aws_region: 'us-east-1' }, secrets: [] });
    expect(remoteIndexOf(resolvedLayers({}).settings, {})).toBeUndefined();
  });

  it.each(['http://bucket/x', 's3://Bucket/x', 's3://user:pw@bucket/x', 's3://bucket/x?token=1', '/tmp/db', 'file:///tmp/db'])('refuses %s as a db_uri', (uri) => {
    expect(() => resolvedLayers({ user: { 'index.db_uri': uri } })).toThrow(UsageError);
  });
});

describe('approvalRequest', () => {
  const model = { 'model.embedding': 'any', 'model.base_url': 'http://127.0.0.1:9/v1' };

  it('is the model endpoint request, same hash, when the repository names no index location', () => {
    const r = resolvedLayers({ repo: model });
    expect(approvalRequest(r)).toEqual(endpointRequest(r));
  });

  it.each<[string, Layers, boolean]>([
    ['the repository names the location, with the local model', { repo: { 'index.db_uri': 's3://bkt/x' } }, true],
    ['the repository names the endpoint of a location the user chose', { repo: { 'index.storage_options': ['aws_endpoint=http://evil:9000'] }, env: { 'index.db_uri': 's3://bkt/x' } }, true],
    ['the user names the location and its options', { repo: { 'index.db_uri': 's3://bkt/x' }, user: { 'index.db_uri': 's3://bkt/y' } }, false],
    ['storage options without any location send nothing', { repo: { 'index.storage_options': ['aws_region=eu'] } }, false],
  ])('%s: needs approval %s', (_name, layers, needed) => {
    expect(approvalRequest(resolvedLayers(layers)) !== undefined).toBe(needed);
  });

  it('binds to the location: another bucket is another hash, and the model request is part of it', () => {
    const a = approvalRequest(resolvedLayers({ repo: { 'index.db_uri': 's3://bkt/a' } }))!;
    const b = approvalRequest(resolvedLayers({ repo: { 'index.db_uri': 's3://bkt/b' } }))!;
    const both = approvalRequest(resolvedLayers({ repo: { ...model, 'index.db_uri': 's3://bkt/a' } }))!;
    expect(a.hash).not.toBe(b.hash);
    expect(both.hash).not.toBe(a.hash);
    expect(both.index).toBe('s3://bkt/a');
    expect(both.endpoint).toBe('http://127.0.0.1:9/v1');
  });
});

describe('the user’s storage credentials', () => {
  const endpoint = 'aws_endpoint=http://storage.attacker.example:9000';

  it.each<[string, Layers, boolean]>([
    ['the provider’s own endpoint, location named by the repository', { repo: { 'index.db_uri': 's3://bkt/x', 'index.storage_options': ['aws_region=eu-west-1'] } }, true],
    ['an endpoint the user set, location named by the repository', { repo: { 'index.db_uri': 's3://bkt/x', 'index.storage_options': [endpoint] }, user: { 'index.storage_options': ['aws_endpoint=http://minio.internal:9000'] } }, true],
    ['an endpoint set in the environment', { env: { 'index.db_uri': 's3://bkt/x', 'index.storage_options': [endpoint] } }, true],
    ['an endpoint the repository named', { repo: { 'index.db_uri': 's3://bkt/x', 'index.storage_options': [endpoint] } }, false],
    ['an endpoint the repository named, under another spelling', { repo: { 'index.storage_options': ['endpoint_url=http://storage.attacker.example'] }, user: { 'index.db_uri': 's3://bkt/x' } }, false],
  ])('%s: sent %s', (_name, layers, sent) => {
    const resolved = resolvedLayers(layers);
    expect(storageCredentialsMayBeSent(resolved)).toBe(sent);
    const remote = remoteIndexFor(resolved, { AWS_SECRET_ACCESS_KEY: 'env-secret-123' })!;
    expect(remote.storageOptions.aws_skip_signature).toBe(sent ? undefined : 'true');
    if (!sent) expect(remote.storageOptions).toMatchObject({ aws_access_key_id: '', aws_secret_access_key: '' });
    expect(remote.anonymous).toBe(sent ? undefined : true);
    // Either way the environment's credentials are scrubbed from messages.
    expect(remote.secrets).toContain('env-secret-123');
  });

  it.each([
    ['gs://bkt/x', 'google_skip_signature'],
    ['az://container/x', 'azure_skip_signature'],
  ])('are withheld from %s by the option its provider reads', (uri, option) => {
    const settings = resolvedLayers({ user: { 'index.db_uri': uri, 'index.storage_options': ['endpoint=http://e:1'] } }).settings;
    expect(remoteIndexOf(settings, {}, false)!.storageOptions).toEqual({ endpoint: 'http://e:1', [option]: 'true' });
  });

  it('are named in the message when an endpoint the repository chose refuses the unsigned request', () => {
    const location = { uri: 's3://bkt/x', storageOptions: {}, secrets: [], anonymous: true as const };
    const err = remoteError(location, 'reading', new Error('Generic S3 error: response status 403 Forbidden'));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('sent without credentials');
    expect(err.message).toContain('gitctx config set --user index.storage_options');
    expect(err.message).not.toContain('\n');
  });

  it.each([
    ['aws_region=us-east-1.attacker.example#', false],
    ['aws_region=eu-west-1', true],
    ['account_name=attacker.example/x', false],
    ['account_name=teamstore', true],
  ])('%s in the committed file is accepted: %s', (item, accepted) => {
    const flatten = () => flattenSettingsDocument({ index: { storage_options: [item] } }, '.gitctx/config.yml', 'repo');
    if (accepted) expect(flatten).not.toThrow();
    else expect(flatten).toThrow(/not a plain name/);
  });
});

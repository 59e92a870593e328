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
  remoteIndexOf,
} from '../../src/config/index.js';
import { storageSecrets } from '../../src/config/storage.js';
import { UsageError } from '../../src/errors.js';
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

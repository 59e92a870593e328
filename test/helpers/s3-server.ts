/**
 * An S3-compatible server on 127.0.0.1 for tests of an index on object storage: s3rver in
 * this process, on a random port, storing into a temp directory, with one bucket made.
 *
 * Two things real S3 does are added, because LanceDB relies on them: a PUT with
 * `If-None-Match: *` fails (412) when the object exists, which is how LanceDB creates a
 * table version all-or-nothing; and a listing with a delimiter reports every prefix with
 * objects below it (s3rver only reports prefixes that have an object directly inside, so
 * LanceDB saw no tables). Every request is recorded, so a test can prove none was made.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { makeTempDir } from './git-repo.js';

interface ListResult {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

interface S3rverStore {
  listObjects(bucket: string, options: { delimiter?: string; prefix?: string; startAfter?: string; maxKeys?: number }): Promise<ListResult>;
  existsObject(bucket: string, key: string): Promise<boolean>;
}

interface S3rverInstance {
  store: S3rverStore;
  configureBuckets(): Promise<void>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}

type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export const S3_ACCESS_KEY_ID = 'S3RVER';
/** Any secret signs well enough (signatures are not checked); tests look for this one in output to prove it is masked. */
export const S3_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI-test-secret-K7MDENGbPxRfiCY';

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** `METHOD /path?query` of every request received, in order. */
  requests: string[];
  /** The credentials every request carried, in order: its Authorization and session-token headers ('' for an unsigned request). */
  credentials: string[];
  /** The server's storage directory: compare listings to prove nothing was written. */
  dir: string;
  /** Storage options LanceDB needs to reach this server. */
  storageOptions(): Record<string, string>;
  cleanup(): void;
}

export async function startS3Server(bucket = 'gitctx-test'): Promise<S3Server> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  const temp = makeTempDir('gitctx-s3-');
  const s3 = new S3rver({
    silent: true,
    directory: temp.dir,
    allowMismatchedSignatures: true,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  await s3.configureBuckets();
  fixDelimiterListing(s3.store);
  const handle = s3.callback();
  const requests: string[] = [];
  const credentials: string[] = [];
  const creating = new Map<string, Promise<void>>();

  const server: Server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    credentials.push([req.headers.authorization, req.headers['x-amz-security-token']].filter((h) => h !== undefined).join(' '));
    if (req.method !== 'PUT' || req.headers['if-none-match'] !== '*') {
      handle(req, res);
      return;
    }
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
    const slash = path.indexOf('/');
    const [objectBucket, key] = [path.slice(0, slash), path.slice(slash + 1)];
    // One conditional create of a key at a time, so "exists?" and the write are one step.
    const before = creating.get(path) ?? Promise.resolve();
    const done = before.then(async () => {
      if (await s3.store.existsObject(objectBucket, key)) {
        req.resume();
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
        return;
      }
      await new Promise<void>((resolve) => {
        res.once('close', resolve);
        handle(req, res);
      });
    });
    creating.set(path, done.catch(() => undefined));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    bucket,
    requests,
    credentials,
    dir: temp.dir,
    storageOptions: () => ({
      aws_access_key_id: S3_ACCESS_KEY_ID,
      aws_secret_access_key: S3_SECRET_ACCESS_KEY,
      aws_endpoint: endpoint,
      aws_region: 'us-east-1',
      allow_http: 'true',
      aws_virtual_hosted_style_request: 'false',
    }),
    cleanup: () => {
      server.closeAllConnections();
      server.close();
      temp.cleanup();
    },
  };
}

/** A delimiter listing computed from the full listing under the prefix, as S3 answers it. */
function fixDelimiterListing(store: S3rverStore): void {
  const list = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    if (!options.delimiter) return list(bucket, options);
    const { delimiter, ...rest } = options;
    const all = await list(bucket, { ...rest, maxKeys: Number.MAX_SAFE_INTEGER });
    const prefix = options.prefix ?? '';
    const prefixes = new Set<string>();
    const objects = all.objects.filter((object) => {
      const at = object.key.slice(prefix.length).indexOf(delimiter);
      if (at === -1) return true;
      prefixes.add(object.key.slice(0, prefix.length + at + delimiter.length));
      return false;
    });
    return { objects, commonPrefixes: [...prefixes].sort(), isTruncated: false };
  };
}

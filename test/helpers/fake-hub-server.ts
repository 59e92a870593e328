/**
 * A model hub on 127.0.0.1 that speaks the Hugging Face file API, for tests that must not touch
 * the network: any directory served as `<org>/<name>` at a commit, as huggingface.co serves it.
 *
 *   GET  /api/models/<repo>/revision/<revision>   {id, sha, siblings: [{rfilename}]}
 *   POST /api/models/<repo>/paths-info/<commit>   [{type, path, size, oid, lfs?: {oid, size, pointerSize}}]
 *   HEAD|GET /<repo>/resolve/<revision>/<path>    small files from the hub (ETag = git blob id);
 *        "LFS" files redirect (302) to a second server, the "CDN", with X-Linked-Etag = sha256
 *        and X-Linked-Size, like the real hub; both honour `Range: bytes=N-`.
 *
 * Faults are queued per file (or per API route) and used up one request each:
 *
 *   const hub = await startFakeHub();
 *   const { commit } = hub.serve('org/tiny', dir, { lfs: ['model.onnx'] });
 *   hub.setFaults('model.onnx', [{ cut: 100 }]);    // the next download of it stops after 100 bytes
 *   ... ensureModelFiles({ hubUrl: hub.url, repo: 'org/tiny', ... })
 *   hub.requests                                     // every request, on both servers
 *   await hub.close();
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, relative, sep } from 'node:path';

export type HubFault =
  /** Send the headers and this many bytes of the body, then cut the connection. */
  | { cut: number }
  /** Send the body with its first byte changed (same length). */
  | 'wrong-bytes'
  /** Answer with this status (and a JSON error body). */
  | { status: number; retryAfter?: number }
  /** Wait this long before answering. */
  | { delay: number }
  /** Answer 200 with the whole file even when a Range was asked for. */
  | 'ignore-range';

export interface RecordedHubRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range: string | undefined;
  authorization: string | undefined;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  fault: string;
}

export interface ServedFile {
  path: string;
  content: Buffer;
  sha256: string;
  /** The git blob id of what git would store: the content, or its LFS pointer. */
  blobId: string;
  lfs: boolean;
}

export interface ServeOptions {
  /** Repository paths kept in "LFS" (served through the CDN, checked by sha256). */
  lfs?: readonly string[];
  /** Branches and tags, to commits; default `{ main: <commit> }`. */
  revisions?: Record<string, string>;
  /** Default: derived from the repo name and the content. */
  commit?: string;
}

export interface FakeHubOptions {
  /** Only this token is accepted by the hub (401 otherwise, as for a gated model). */
  token?: string;
  /** Answer paths-info with 404, as a mirror without it does, so clients fall back to HEAD. */
  noPathsInfo?: boolean;
}

export interface FakeHub {
  /** `http://127.0.0.1:<port>`: the hub. */
  url: string;
  /** `http://127.0.0.1:<port>`: the CDN LFS files redirect to (another origin). */
  cdnUrl: string;
  readonly requests: RecordedHubRequest[];
  /** Serves every file below `dir` as `repo` at a commit; returns the commit and the files. */
  serve(repo: string, dir: string, options?: ServeOptions): { commit: string; files: ServedFile[] };
  /** Faults for the next requests of `key` (a file path, `revision` or `paths-info`), one each. */
  setFaults(key: string, faults: readonly HubFault[]): void;
  reset(): void;
  close(): Promise<void>;
}

function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function lfsPointer(sha256: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`);
}

function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

interface Repo {
  commit: string;
  revisions: Map<string, string>;
  files: Map<string, ServedFile>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `paths` from a JSON body or a form body (`paths=a&paths=b`), as huggingface_hub sends either. */
function requestedPaths(body: string, contentType: string | undefined): string[] {
  if (contentType?.includes('json')) {
    const parsed = JSON.parse(body) as { paths?: unknown };
    return Array.isArray(parsed.paths) ? parsed.paths.filter((p): p is string => typeof p === 'string') : [];
  }
  return new URLSearchParams(body).getAll('paths');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export async function startFakeHub(options: FakeHubOptions = {}): Promise<FakeHub> {
  const repos = new Map<string, Repo>();
  const faults = new Map<string, HubFault[]>();
  const requests: RecordedHubRequest[] = [];
  const sockets = new Set<Socket>();
  const blobs = new Map<string, ServedFile>(); // by sha256, for the CDN

  const takeFault = (key: string): HubFault | undefined => faults.get(key)?.shift();
  const faultName = (fault: HubFault | undefined) => (fault === undefined ? 'ok' : typeof fault === 'string' ? fault : JSON.stringify(fault));

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
    return Buffer.byteLength(text);
  }

  /** Sends `file` honouring Range and the fault; returns [status, body bytes sent]. */
  function sendFile(req: IncomingMessage, res: ServerResponse, file: ServedFile, fault: HubFault | undefined, extra: Record<string, string>): Promise<[number, number]> {
    const size = file.content.length;
    let content = file.content;
    if (fault === 'wrong-bytes') {
      content = Buffer.from(content);
      content[0] = (content[0]! + 1) & 0xff;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    let status = 200;
    const headers: Record<string, string> = { ...extra, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    if (range && fault !== 'ignore-range') {
      start = Number(range[1]);
      if (range[2] !== '') end = Math.min(Number(range[2]), size - 1);
      if (start >= size) {
        res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 });
        res.end();
        return Promise.resolve([416, 0]);
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    const body = content.subarray(start, end + 1);
    res.writeHead(status, { ...headers, 'content-length': body.length });
    if (req.method === 'HEAD') {
      res.end();
      return Promise.resolve([status, 0]);
    }
    if (typeof fault === 'object' && 'cut' in fault) {
      const sent = body.subarray(0, Math.min(fault.cut, body.length));
      return new Promise((resolve) => {
        // Ended, not destroyed: a reset could discard bytes the client has not read yet, and the
        // test wants exactly `cut` bytes to arrive before the connection goes.
        res.write(sent, () => {
          res.socket?.end();
          resolve([status, sent.length]);
        });
      });
    }
    res.end(body);
    return Promise.resolve([status, body.length]);
  }

  async function handleHub(req: IncomingMessage, res: ServerResponse, record: RecordedHubRequest): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const path = decodeURIComponent(url.pathname);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|paths-info)\/(.+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const key = api ? api[2]! : resolve ? decodeURIComponent(resolve[3]!) : path;
    const fault = takeFault(key);
    record.fault = faultName(fault);
    if (typeof fault === 'object' && 'delay' in fault) await new Promise((r) => setTimeout(r, fault.delay));
    if (typeof fault === 'object' && 'status' in fault) {
      record.status = fault.status;
      record.bytes = json(res, fault.status, { error: `fault ${fault.status}` }, fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {});
      return;
    }
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      record.status = 401;
      record.bytes = json(res, 401, { error: 'Access to model is restricted. You must be authenticated.' }, { 'x-error-code': 'GatedRepo' });
      return;
    }
    const repoName = api ? decodeURIComponent(api[1]!) : resolve ? decodeURIComponent(resolve[1]!) : '';
    const repo = repos.get(repoName);
    if ((api || resolve) && repo === undefined) {
      // The real hub does not tell a missing repository from a private one.
      record.status = 401;
      record.bytes = json(res, 401, { error: 'Repository Not Found' }, { 'x-error-code': 'RepoNotFound' });
      return;
    }
    if (api && repo) {
      const revision = decodeURIComponent(api[3]!);
      const commit = repo.revisions.get(revision) ?? (revision === repo.commit ? repo.commit : undefined);
      if (api[2] === 'revision' && req.method === 'GET') {
        if (commit === undefined) {
          record.status = 404;
          record.bytes = json(res, 404, { error: `Invalid rev id: ${revision}` }, { 'x-error-code': 'RevisionNotFound' });
          return;
        }
        record.status = 200;
        record.bytes = json(res, 200, { id: repoName, sha: commit, siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })) });
        return;
      }
      if (api[2] === 'paths-info' && req.method === 'POST') {
        const body = await readBody(req);
        if (options.noPathsInfo === true) {
          record.status = 404;
          record.bytes = json(res, 404, { error: 'Not Found' });
          return;
        }
        if (commit === undefined) {
          record.status = 404;
          record.bytes = json(res, 404, { error: `Invalid rev id: ${revision}` });
          return;
        }
        const entries = requestedPaths(body, req.headers['content-type'])
          .map((p) => repo.files.get(p))
          .filter((f): f is ServedFile => f !== undefined)
          .map((f) => ({
            type: 'file',
            path: f.path,
            size: f.content.length,
            oid: f.blobId,
            ...(f.lfs ? { lfs: { oid: f.sha256, size: f.content.length, pointerSize: lfsPointer(f.sha256, f.content.length).length } } : {}),
          }));
        record.status = 200;
        record.bytes = json(res, 200, entries);
        return;
      }
    }
    if (resolve && repo && (req.method === 'GET' || req.method === 'HEAD')) {
      const revision = decodeURIComponent(resolve[2]!);
      const commit = repo.revisions.get(revision) ?? (revision === repo.commit ? repo.commit : undefined);
      const file = commit === undefined ? undefined : repo.files.get(decodeURIComponent(resolve[3]!));
      if (commit === undefined || file === undefined) {
        record.status = 404;
        record.bytes = json(res, 404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound' });
        return;
      }
      const common = { 'x-repo-commit': commit, etag: `"${file.blobId}"` };
      if (file.lfs) {
        // As huggingface.co: the hub answers with the file's metadata and sends the bytes from a CDN.
        if (fault !== undefined && !(typeof fault === 'object' && 'delay' in fault)) faults.set(`cdn:${file.path}`, [fault, ...(faults.get(`cdn:${file.path}`) ?? [])]);
        res.writeHead(302, {
          ...common,
          location: `${cdnUrl}/blobs/${file.sha256}?expires=1&signature=fake`,
          'x-linked-etag': `"${file.sha256}"`,
          'x-linked-size': String(file.content.length),
          'content-length': 0,
        });
        res.end();
        record.status = 302;
        return;
      }
      const [status, bytes] = await sendFile(req, res, file, fault, common);
      record.status = status;
      record.bytes = bytes;
      return;
    }
    record.status = 404;
    record.bytes = json(res, 404, { error: 'Not Found' });
  }

  async function handleCdn(req: IncomingMessage, res: ServerResponse, record: RecordedHubRequest): Promise<void> {
    const match = /^\/blobs\/([0-9a-f]{64})$/.exec(new URL(req.url ?? '/', 'http://cdn').pathname);
    const file = match ? blobs.get(match[1]!) : undefined;
    if (file === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      record.status = 404;
      record.bytes = json(res, 404, { error: 'NoSuchKey' });
      return;
    }
    const fault = takeFault(`cdn:${file.path}`);
    record.fault = faultName(fault);
    const [status, bytes] = await sendFile(req, res, file, fault, {});
    record.status = status;
    record.bytes = bytes;
  }

  const serverFor = (name: 'hub' | 'cdn', handle: typeof handleHub) =>
    createServer((req, res) => {
      const record: RecordedHubRequest = {
        server: name,
        method: req.method ?? '',
        path: req.url ?? '',
        range: req.headers.range,
        authorization: req.headers.authorization,
        status: 0,
        bytes: 0,
        fault: 'ok',
      };
      requests.push(record);
      handle(req, res, record).catch((err: unknown) => {
        record.status = 500;
        if (!res.headersSent) json(res, 500, { error: String(err) });
        else res.destroy();
      });
    });

  const hubServer = serverFor('hub', handleHub);
  const cdnServer = serverFor('cdn', handleCdn);
  for (const server of [hubServer, cdnServer]) {
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }
  const url = await listen(hubServer);
  const cdnUrl = await listen(cdnServer);

  return {
    url,
    cdnUrl,
    requests,
    serve(repo, dir, serveOptions = {}) {
      const lfs = new Set(serveOptions.lfs ?? []);
      const files = filesBelow(dir).map((path): ServedFile => {
        const content = readFileSync(join(dir, ...path.split('/')));
        const sha256 = createHash('sha256').update(content).digest('hex');
        const isLfs = lfs.has(path);
        return { path, content, sha256, blobId: gitBlobId(isLfs ? lfsPointer(sha256, content.length) : content), lfs: isLfs };
      });
      const commit =
        serveOptions.commit ??
        createHash('sha1')
          .update(repo)
          .update(files.map((f) => `${f.path}:${f.blobId}`).join('\n'))
          .digest('hex');
      for (const file of files) if (file.lfs) blobs.set(file.sha256, file);
      repos.set(repo, {
        commit,
        revisions: new Map(Object.entries(serveOptions.revisions ?? { main: commit })),
        files: new Map(files.map((f) => [f.path, f])),
      });
      return { commit, files };
    },
    setFaults(key, list) {
      faults.set(key, [...list]);
    },
    reset() {
      requests.length = 0;
      faults.clear();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([hubServer, cdnServer].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

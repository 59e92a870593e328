/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI embeddings API
 * (`POST /v1/embeddings`), for tests and benchmarks that must not touch the
 * network. Vectors are a deterministic function of the input text (and size),
 * usage is counted with cl100k like the real API, and faults can be queued per
 * request or switched on for every request:
 *
 *   const server = await startFakeOpenAI({ dims: 8 });
 *   server.setFaults([{ status: 429, retryAfterMs: 50 }, 'ok']);
 *   ... createProvider({ embedding: 'text-embedding-3-small', baseUrl: server.baseUrl, apiKey: 'sk-test' })
 *   server.requests  // every request: time, inputs, tokens, status, fault
 *   await server.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';

/** What the server does with one request. */
export type Fault =
  | 'ok'
  /** Any status with an OpenAI-style error body; 429/503 may carry Retry-After (seconds) or retry-after-ms. */
  | { status: number; retryAfter?: number | string; retryAfterMs?: number; message?: string }
  /** Wait before answering normally (past a client's timeout, this is a timeout). */
  | { slow: number }
  /** 200 with a body that is not JSON. */
  | 'malformed-json'
  /** 200 with one vector too few. */
  | 'wrong-count'
  /** 200 with vectors one dimension short. */
  | 'wrong-dims'
  /** 200 with NaN as the first value: a bare `NaN` token in float replies (as Python servers emit), a NaN float in base64 ones. */
  | 'nan'
  /** 200 with the same index twice. */
  | 'duplicate-index'
  /** Destroy the socket without a reply. */
  | 'close';

export interface FakeOpenAIOptions {
  /** Vector size when the request has no `dimensions`; default by model name (3-large 3072, 3-small 1536), else 16. */
  dims?: number;
  /** Only this key is accepted (401 otherwise). Undefined accepts any or none. */
  apiKey?: string;
  /** Put the received key into 401 messages, as some servers do, to test that it is scrubbed. */
  echoKeyInErrors?: boolean;
  /** Delay before every reply, in ms (for interruption and timeout tests). */
  delayMs?: number;
  /** Reject requests above the API's limits (400), so batching mistakes fail loudly. */
  maxInputs?: number;
  maxTokens?: number;
  /** Per-input limit (400 above it). */
  maxInputTokens?: number;
  /** Keep every input text in `requests[i].texts` (off by default: benchmarks send many). */
  recordTexts?: boolean;
}

export interface RecordedRequest {
  /** ms since the server started, when the request arrived and when it was answered. */
  at: number;
  doneAt?: number;
  method: string;
  path: string;
  authorization: string | undefined;
  model: string | undefined;
  inputs: number;
  tokens: number;
  dimensions: number | undefined;
  encodingFormat: string | undefined;
  status: number;
  fault: string;
  /** The input texts, with `recordTexts`. */
  texts?: string[];
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `url + '/v1'`, what the OpenAI client takes as baseURL. */
  baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Most requests being answered at the same moment so far. */
  readonly maxInFlight: number;
  /** Faults for the next requests, one each, in order; after them every request is 'ok'. */
  setFaults(faults: readonly Fault[]): void;
  /** A fault for every request until changed (undefined turns it off). */
  setDefaultFault(fault: Fault | undefined): void;
  setDelay(ms: number): void;
  /** Forgets recorded requests, the in-flight high-water mark and queued faults. */
  reset(): void;
  close(): Promise<void>;
}

const NATIVE_DIMS: Record<string, number> = { 'text-embedding-3-large': 3072, 'text-embedding-3-small': 1536 };

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}

/** The unit vector the fake server returns for `text` at size `dims`; tests compare against it. */
export function fakeEmbedding(text: string, dims: number): Float32Array {
  let state = fnv1a(text) || 1;
  const v = new Float32Array(dims);
  let sq = 0;
  for (let i = 0; i < dims; i++) {
    // xorshift32: deterministic, good enough to look like a direction.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const x = (state >>> 0) / 0x100000000 - 0.5;
    v[i] = x;
    sq += x * x;
  }
  const inv = 1 / Math.sqrt(sq);
  for (let i = 0; i < dims; i++) v[i] = (v[i] as number) * inv;
  return v;
}

function faultName(f: Fault): string {
  if (typeof f === 'string') return f;
  if ('slow' in f) return `slow ${f.slow}`;
  return `status ${f.status}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(message: string, type: string): unknown {
  return { error: { message, type, param: null, code: null } };
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const started = performance.now();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let queue: Fault[] = [];
  let defaultFault: Fault | undefined;
  let delayMs = options.delayMs ?? 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const now = (): number => performance.now() - started;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: RecordedRequest = {
      at: now(),
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      model: undefined,
      inputs: 0,
      tokens: 0,
      dimensions: undefined,
      encodingFormat: undefined,
      status: 0,
      fault: 'ok',
    };
    requests.push(record);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const finish = (status: number): void => {
      record.status = status;
      record.doneAt = now();
    };
    try {
      const raw = await readBody(req);
      if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/embeddings')) {
        sendJson(res, 404, errorBody(`no route ${req.method ?? ''} ${req.url ?? ''}`, 'invalid_request_error'));
        finish(404);
        return;
      }
      const fault: Fault = queue.shift() ?? defaultFault ?? 'ok';
      record.fault = faultName(fault);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (typeof fault === 'object' && 'slow' in fault) await new Promise((r) => setTimeout(r, fault.slow));
      if (res.destroyed || req.socket.destroyed) {
        finish(0);
        return;
      }

      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        const got = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        const message = options.echoKeyInErrors ? `Incorrect API key provided: ${got}.` : 'Incorrect API key provided.';
        sendJson(res, 401, errorBody(message, 'invalid_request_error'));
        finish(401);
        return;
      }
      if (fault === 'close') {
        req.socket.destroy();
        finish(0);
        return;
      }
      if (typeof fault === 'object' && 'status' in fault) {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        const got = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        const message =
          fault.message ?? (options.echoKeyInErrors ? `error for key ${got}` : `simulated ${fault.status}`);
        sendJson(res, fault.status, errorBody(message, fault.status === 429 ? 'rate_limit_error' : 'server_error'), headers);
        finish(fault.status);
        return;
      }
      if (fault === 'malformed-json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,');
        finish(200);
        return;
      }

      let body: { model?: unknown; input?: unknown; dimensions?: unknown; encoding_format?: unknown };
      try {
        body = JSON.parse(raw) as typeof body;
      } catch (err) {
        sendJson(res, 400, errorBody(`bad JSON: ${(err as Error).message}`, 'invalid_request_error'));
        finish(400);
        return;
      }
      const model = typeof body.model === 'string' ? body.model : undefined;
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      record.model = model;
      record.dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
      record.encodingFormat = typeof body.encoding_format === 'string' ? body.encoding_format : undefined;
      if (!Array.isArray(inputs) || inputs.some((x) => typeof x !== 'string' || x === '')) {
        sendJson(res, 400, errorBody("'$.input' is invalid", 'invalid_request_error'));
        finish(400);
        return;
      }
      const texts = inputs as string[];
      const perInput = texts.map((t) => countTokens(t, { disallowedSpecial: new Set() }));
      const tokens = perInput.reduce((a, b) => a + b, 0);
      record.inputs = texts.length;
      if (options.recordTexts) record.texts = texts;
      record.tokens = tokens;
      const tooMany =
        (options.maxInputs !== undefined && texts.length > options.maxInputs) ||
        (options.maxTokens !== undefined && tokens > options.maxTokens) ||
        (options.maxInputTokens !== undefined && perInput.some((n) => n > (options.maxInputTokens as number)));
      if (tooMany) {
        sendJson(res, 400, errorBody(`too many inputs or tokens: ${texts.length} inputs, ${tokens} tokens`, 'invalid_request_error'));
        finish(400);
        return;
      }
      const dims = record.dimensions ?? options.dims ?? (model !== undefined ? NATIVE_DIMS[model] : undefined) ?? 16;
      const base64 = record.encodingFormat === 'base64';
      let data = texts.map((text, index) => {
        let v = fakeEmbedding(text, dims);
        if (fault === 'wrong-dims') v = v.subarray(0, dims - 1);
        if (fault === 'nan' && index === 0) v[0] = Number.NaN;
        const embedding = base64 ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v);
        return { object: 'embedding', index, embedding };
      });
      if (fault === 'wrong-count') data = data.slice(0, -1);
      if (fault === 'duplicate-index' && data.length > 1) data = data.map((d) => ({ ...d, index: 0 }));
      const reply = { object: 'list', data, model: model ?? 'unknown', usage: { prompt_tokens: tokens, total_tokens: tokens } };
      let text = JSON.stringify(reply);
      // JSON has no NaN; float replies carry it as a bare token, which strict parsers reject and lenient ones accept.
      if (fault === 'nan' && !base64) text = text.replace('"embedding":[null', '"embedding":[NaN');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      finish(200);
    } finally {
      inFlight--;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(`fake server bug: ${String(err)}`, 'server_error'));
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    setFaults(faults) {
      queue = [...faults];
    },
    setDefaultFault(fault) {
      defaultFault = fault;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    reset() {
      requests.length = 0;
      maxInFlight = inFlight;
      queue = [];
      defaultFault = undefined;
    },
    close() {
      // Keep-alive sockets would hold close() open; tests end them on purpose.
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port just freed), for connection-refused tests. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

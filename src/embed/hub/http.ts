/**
 * HTTP to a model hub: redirects followed by hand so the user's token goes to the configured hub
 * and never to a host it redirects to (a CDN), as huggingface_hub does; a timeout on silence rather
 * than on the whole transfer (a large file may take minutes, a stalled one must not); retries with
 * backoff on 5xx, 429 and broken connections, bounded by the retry policy; every failure one line
 * naming the URL, with the token and any URL credentials kept out of it.
 */
import { InterruptedError, ProviderUnreachableError } from '../../errors.js';
import { displayUrl, redactSecrets, urlSecrets } from '../mask.js';
import { retryAfterMs, retryDelay, sleep } from '../retry.js';
import type { RetryPolicy } from '../retry.js';

const MAX_REDIRECTS = 10;

export interface HubClientOptions {
  /** The hub's base URL, e.g. `https://huggingface.co` or a mirror (a path prefix is kept). */
  hubUrl: string;
  /** Sent as a Bearer token to the hub's own origin only. */
  token?: string;
  /** Give up on one attempt after this long without a byte. */
  timeoutMs: number;
  retry: RetryPolicy;
  signal?: AbortSignal;
  random?: () => number;
}

/** A failure worth another attempt: the connection, the server's 5xx or 429, silence. */
export class RetryableError extends Error {
  constructor(
    message: string,
    readonly waitMs?: number,
    /** The attempt got somewhere (bytes were saved): the retry budget starts afresh. */
    readonly progressed = false,
  ) {
    super(message);
    this.name = 'RetryableError';
  }
}

export interface Sent {
  response: Response;
  /** Where the response came from, after redirects. */
  url: string;
}

export interface Attempt {
  signal: AbortSignal;
  /** Restarts the silence timer: call it whenever bytes arrive. */
  alive(): void;
}

export interface HubClient {
  /** The hub base URL without a trailing slash. */
  readonly base: string;
  /** The URL as it may be shown in a message. */
  show(url: string): string;
  /**
   * One request. Redirects within the hub's origin are followed; `otherHosts` also follows those
   * to another origin (without the token). Otherwise a redirect to another host is returned as is.
   */
  send(url: string, init: { method: string; headers?: Record<string, string>; body?: string }, attempt: Attempt, otherHosts: boolean): Promise<Sent>;
  /**
   * Runs `attempt` until it returns, retrying what throws RetryableError or fails to connect;
   * ProviderUnreachableError (exit 5, naming `url`) when retries run out, InterruptedError on the signal.
   */
  withRetries<T>(url: string, run: (attempt: Attempt) => Promise<T>): Promise<T>;
}

/** The error's message plus the first system error code down its cause chain (ECONNREFUSED, ENOTFOUND). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let cause: unknown = err;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return `${err.message} (${code})`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return err.message;
}

export function createHubClient(options: HubClientOptions): HubClient {
  const base = options.hubUrl.trim().replace(/\/+$/, '');
  const hubOrigin = new URL(base).origin;
  const secrets = [options.token, ...urlSecrets(base)];
  const scrub = (text: string) => redactSecrets(text, secrets);
  const show = (url: string) => displayUrl(url);
  const random = options.random ?? Math.random;

  async function send(url: string, init: { method: string; headers?: Record<string, string>; body?: string }, attempt: Attempt, otherHosts: boolean): Promise<Sent> {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sameOrigin = new URL(current).origin === hubOrigin;
      const headers: Record<string, string> = { ...init.headers };
      if (sameOrigin && options.token !== undefined && options.token !== '') headers.authorization = `Bearer ${options.token}`;
      const response = await fetch(current, {
        method: init.method,
        headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
        redirect: 'manual',
        signal: attempt.signal,
      });
      attempt.alive();
      const location = response.headers.get('location');
      if (response.status < 300 || response.status > 399 || location === null) return { response, url: current };
      const next = new URL(location, current);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        await response.body?.cancel();
        throw new ProviderUnreachableError(`${show(current)} redirected to a ${next.protocol} URL, which gitctx does not follow`);
      }
      if (next.origin !== hubOrigin && !otherHosts) return { response, url: current };
      await response.body?.cancel();
      current = next.toString();
    }
    throw new ProviderUnreachableError(`${show(url)}: more than ${MAX_REDIRECTS} redirects`);
  }

  async function withRetries<T>(url: string, run: (attempt: Attempt) => Promise<T>): Promise<T> {
    let started = Date.now();
    const policy = options.retry;
    for (let retry = 0; ; retry++) {
      const silence = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const alive = () => {
        clearTimeout(timer);
        timer = setTimeout(() => silence.abort(new Error('silence')), options.timeoutMs);
      };
      alive();
      const signal = options.signal ? AbortSignal.any([options.signal, silence.signal]) : silence.signal;
      let reason: string;
      let waitMs: number | undefined;
      try {
        return await run({ signal, alive });
      } catch (err) {
        if (options.signal?.aborted) throw new InterruptedError(undefined, { cause: err });
        if (silence.signal.aborted) reason = `no data for ${options.timeoutMs} ms`;
        else if (err instanceof RetryableError) {
          reason = err.message;
          waitMs = err.waitMs;
          // A large file over a flaky line may need many resumes; only attempts that get nowhere count.
          if (err.progressed) {
            retry = 0;
            started = Date.now();
          }
        } else if (err instanceof TypeError) reason = describe(err); // fetch: refused, DNS, reset, cut off
        else throw err;
      } finally {
        clearTimeout(timer);
      }
      const wait = retryDelay(retry, policy, waitMs, random);
      const outOfTime = Date.now() - started + wait > policy.maxElapsedMs;
      if (retry >= policy.maxRetries || outOfTime) {
        const tries = retry + 1;
        throw new ProviderUnreachableError(
          `cannot reach ${show(url)} (${tries} attempt${tries === 1 ? '' : 's'}${outOfTime ? ', retry time limit reached' : ''}): ${scrub(reason)}`,
        );
      }
      try {
        await sleep(wait, options.signal);
      } catch (err) {
        throw new InterruptedError(undefined, { cause: err });
      }
    }
  }

  return { base, show, send, withRetries };
}

/** A status worth retrying (5xx, 429, 408) as a RetryableError; undefined for any other. */
export function retryableStatus(response: Response): RetryableError | undefined {
  const { status } = response;
  if (status !== 429 && status !== 408 && status < 500) return undefined;
  return new RetryableError(`HTTP ${status}`, retryAfterMs(response.headers));
}

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, JSONRPCMessage, MessageExtraInfo, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { packageVersion } from '../version.js';
import { GitctxError, NotARepositoryError } from '../errors.js';
import { printable, renderMcpMarkdown, toJsonShape } from '../format/index.js';
import { openRepository } from '../git/index.js';
import { indexLag, searchRequest } from '../app/search.js';
import { describeStatus } from '../app/status.js';
import {
  SEARCH_TOOL_DESCRIPTION,
  STATUS_TOOL_DESCRIPTION,
  searchInputSchema,
  searchOutputSchema,
  statusOutputSchema,
} from './schemas.js';
import type { SearchToolInput } from './schemas.js';
import { RepoSession } from './session.js';

export interface GitctxServerOptions {
  /** The repository to serve: its root or any directory inside its work tree. */
  cwd: string;
  /** Takes one diagnostic line (no newline). Default: standard error; never standard output, which carries the protocol. */
  log?: (line: string) => void;
}

const logToStderr = (line: string) => {
  // Log lines quote paths and errors from the repository; a stack keeps its line breaks.
  process.stderr.write(`gitctx mcp: ${printable(line, true)}\n`);
};

/**
 * The MCP server with the `search` and `status` tools, not yet connected to a
 * transport. Closing it (`server.close()`, or its transport ending) closes the
 * index it keeps open between calls.
 */
export function createGitctxServer(options: GitctxServerOptions): McpServer {
  const log = options.log ?? logToStderr;
  const session = new RepoSession(options.cwd);
  const server = new McpServer(
    { name: 'gitctx', version: packageVersion() },
    {
      instructions:
        'gitctx searches this git repository by meaning and by keywords. Call `search` to find where something is ' +
        'implemented or explained before reading files one by one; call `status` to see whether the index is current.',
    },
  );

  server.registerTool(
    'search',
    {
      title: 'Search the repository',
      description: SEARCH_TOOL_DESCRIPTION,
      inputSchema: searchInputSchema,
      outputSchema: searchOutputSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (input: SearchToolInput): Promise<CallToolResult> => {
      try {
        const response = await session.withSearcher(async (searcher, context) => {
          const [found, lag] = await Promise.all([
            searcher.search(
              searchRequest(context.resolved.settings.search, {
                query: input.query,
                ...(input.mode !== undefined ? { mode: input.mode } : {}),
                ...(input.limit !== undefined ? { limit: input.limit } : {}),
                paths: typeof input.path === 'string' ? [input.path] : (input.path ?? []),
                ...(input.lang !== undefined ? { language: input.lang } : {}),
                headOnly: input.head_only === true,
                ...(input.all_kinds === true ? { preferSource: false } : {}),
              }),
            ),
            // The session keeps its context across calls; HEAD may have moved since.
            indexLag(context, { rereadHead: true }),
          ]);
          return { ...found, stale: lag !== undefined };
        });
        return {
          content: [{ type: 'text', text: renderMcpMarkdown(response) }],
          structuredContent: { ...toJsonShape(response) },
        };
      } catch (err) {
        return toolError(err, log);
      }
    },
  );

  server.registerTool(
    'status',
    {
      title: 'Index status',
      description: STATUS_TOOL_DESCRIPTION,
      outputSchema: statusOutputSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (): Promise<CallToolResult> => {
      try {
        const report = await session.status();
        return { content: [{ type: 'text', text: describeStatus(report) }], structuredContent: { ...report } };
      } catch (err) {
        return toolError(err, log);
      }
    },
  );

  // Malformed input lines and transport failures: worth a log line, never fatal.
  server.server.onerror = (err) => log(`protocol error: ${err.message}`);
  chainOnClose(server, () => session.close());
  return server;
}

/** `Server.onclose` is a single callback slot; this adds to it instead of replacing it. */
function chainOnClose(server: McpServer, then: () => void): void {
  const previous = server.server.onclose;
  server.server.onclose = () => {
    previous?.();
    then();
  };
}

/**
 * A failure as the tool's own result (`isError: true`, one line of text), so the
 * model reads what went wrong and what to do, and the server carries on. Errors
 * gitctx expects (no index, bad argument, missing key) are told as they are;
 * anything else is logged with its stack, since only the log can explain it.
 */
export function toolError(err: unknown, log: (line: string) => void = logToStderr): CallToolResult {
  let text: string;
  if (err instanceof GitctxError) {
    text = firstLine(err.message);
    if (err instanceof NotARepositoryError) text += ' (start the server inside a git repository, or pass `gitctx mcp --repo <dir>`)';
    log(`${err.name}: ${text}`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    text = `unexpected error: ${firstLine(message)}`;
    log(err instanceof Error && err.stack ? err.stack : text);
  }
  return { content: [{ type: 'text', text }], isError: true };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

/**
 * Passes everything through to the inner transport and keeps the ids of requests
 * not yet answered, so a shutdown at end of input can wait for them: a client that
 * writes its requests and then closes its end of the pipe still gets every answer.
 */
class AnsweringTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private readonly unanswered = new Set<RequestId>();
  private waiters: (() => void)[] = [];

  constructor(private readonly inner: Transport) {
    inner.onmessage = (message, extra) => {
      if ('method' in message && 'id' in message) this.unanswered.add(message.id);
      // The SDK sends no answer to a request the client cancelled.
      else if ('method' in message && message.method === 'notifications/cancelled') this.forget(message.params?.requestId);
      this.onmessage?.(message, extra);
    };
    inner.onclose = () => {
      this.unanswered.clear();
      this.wake();
      this.onclose?.();
    };
    inner.onerror = (error) => this.onerror?.(error);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    await this.inner.send(message, options);
    if (!('method' in message) && 'id' in message) this.forget(message.id);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Resolves when every request received so far has been answered. */
  answered(): Promise<void> {
    return this.unanswered.size === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  private forget(id: unknown): void {
    if ((typeof id === 'string' || typeof id === 'number') && this.unanswered.delete(id) && this.unanswered.size === 0) this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/**
 * Throws EndpointNotApprovedError when the repository's settings send data to an endpoint the
 * user has not approved. Settings that do not load are left to the tool calls to report, as before.
 */
async function refuseUnapprovedEndpoint(root: string): Promise<void> {
  const { loadSettings, requireApprovedEndpoint } = await import('../config/index.js');
  const resolved = await loadSettings({ repoRoot: root }).catch((err: unknown) => {
    if (err instanceof GitctxError) return undefined;
    throw err;
  });
  // The command it names is pasted where the server was started, which `--repo` may not be.
  if (resolved !== undefined) await requireApprovedEndpoint(root, resolved);
}

/**
 * Serves the repository at `cwd` over standard input and output until the client
 * closes standard input (requests already received are answered first) or the
 * process gets SIGTERM or SIGINT; resolves once the server and its index are closed.
 */
export async function serveStdio(cwd: string, log: (line: string) => void = logToStderr): Promise<void> {
  // Standard output is the protocol: a stray console.log from any dependency would
  // corrupt it, so console output that would go there goes to standard error.
  for (const method of ['log', 'info', 'debug'] as const) console[method] = console.error.bind(console);

  const server = createGitctxServer({ cwd, log });
  const transport = new AnsweringTransport(new StdioServerTransport());
  const closed = new Promise<void>((resolve) => chainOnClose(server, resolve));
  const shutdown = () => {
    server.close().catch((err: unknown) => log(`while closing: ${err instanceof Error ? err.message : String(err)}`));
  };
  const shutdownWhenAnswered = () => {
    void transport.answered().then(shutdown);
  };
  process.stdin.once('end', shutdownWhenAnswered);
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  try {
    // Checked before serving, so the warning comes first in the client's log. Not fatal:
    // the tools tell the model the same, and it can relay it.
    const repo = await openRepository(cwd).catch((err: unknown) => {
      log(`warning: ${firstLine(err instanceof Error ? err.message : String(err))}; tool calls will fail until it is a repository`);
      return undefined;
    });
    // An endpoint the user has not approved ends the server before it serves anything (exit 2).
    if (repo !== undefined) await refuseUnapprovedEndpoint(repo.root);
    await server.connect(transport);
    log(`serving ${cwd} on stdio (gitctx ${packageVersion()})`);
    await closed;
  } finally {
    process.stdin.off('end', shutdownWhenAnswered);
    process.off('SIGTERM', shutdown);
    process.off('SIGINT', shutdown);
  }
}

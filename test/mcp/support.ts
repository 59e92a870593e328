/**
 * Starts the real `gitctx mcp` (the built binary) for a test, with the same
 * environment hygiene as test/helpers/cli.ts: no GITCTX_* or OPENAI_* from the
 * developer's shell, a settings home that does not exist, no colour.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { GITCTX_BIN } from '../helpers/cli.js';

export function serverEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(GITCTX_|OPENAI_)/.test(name)) env[name] = value;
  }
  env.GITCTX_HOME = join(tmpdir(), 'gitctx-test-no-home');
  env.NO_COLOR = '1';
  return env;
}

export interface McpSession {
  client: Client;
  /** Everything the server wrote to standard error so far. */
  stderr(): string;
  close(): Promise<void>;
}

export async function connect(cwd: string, extraArgs: readonly string[] = []): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [GITCTX_BIN, 'mcp', ...extraArgs],
    cwd,
    env: serverEnv(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'gitctx-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** The tool result as the protocol types it, with the single text block pulled out. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult & { text: string }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const texts = result.content.filter((c) => c.type === 'text').map((c) => c.text);
  return { ...result, text: texts.join('\n') };
}

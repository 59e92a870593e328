/**
 * The MCP server: gitctx's `search` and `status` as tools for a model, over stdio
 * with the official SDK. Standard output carries nothing but JSON-RPC; logs go to
 * standard error. Failures become tool results with `isError: true` and one line
 * that says what to do (`no index yet: run \`gitctx index\` in <root>`), never a
 * crash: the server outlives every bad call.
 */
export { createGitctxServer, serveStdio, toolError } from './server.js';
export type { GitctxServerOptions } from './server.js';
export { searchInputSchema, searchOutputSchema, statusOutputSchema } from './schemas.js';
export type { SearchToolInput } from './schemas.js';

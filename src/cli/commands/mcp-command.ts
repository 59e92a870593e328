import { resolve } from 'node:path';
import { Command } from 'commander';

/** Starts the MCP server for a repository directory; the entry point supplies it, so cli/ never imports mcp/. */
export type ServeMcp = (repoDir: string) => Promise<void>;

export function mcpCommand(serve: ServeMcp): Command {
  return new Command('mcp')
    .description('serve search and status to an MCP client (Claude Code, Claude Desktop, Cursor, VS Code, ...) over stdio')
    .option('--repo <dir>', 'the repository to serve (default: the working directory)')
    .addHelpText(
      'after',
      `
Standard output carries only the protocol; logs go to standard error. Tools:
  search   query, limit (1-100), path (glob or globs), mode (hybrid|vector|text), lang, head_only
  status   what is indexed and whether HEAD moved since
Run \`gitctx index\` first; a search before that returns an error saying so.

Examples:
  claude mcp add gitctx -- gitctx mcp                   Claude Code, run in the repository
  claude mcp add --scope project gitctx -- gitctx mcp   the same, shared through .mcp.json

  Clients configured in JSON (Claude Desktop, Cursor, .mcp.json), with the repository's absolute path:
  {"mcpServers": {"gitctx": {"command": "gitctx", "args": ["mcp", "--repo", "/path/to/repo"]}}}`,
    )
    .action(async (flags: { repo?: string }) => serve(resolve(flags.repo ?? process.cwd())));
}

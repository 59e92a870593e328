#!/usr/bin/env node
import { exitQuietlyWhenOutputCloses } from './closed-output.js';
import { installInterruptHandler } from './interrupt.js';
import { run } from './program.js';

installInterruptHandler();
exitQuietlyWhenOutputCloses();
// The one place that knows both adapters: `gitctx mcp` hands the process over to the MCP server.
const serveMcp = async (repoDir: string) => (await import('../mcp/index.js')).serveStdio(repoDir);
process.exitCode = await run(process.argv, { serveMcp });

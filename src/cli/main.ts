#!/usr/bin/env node
import { exitQuietlyWhenOutputCloses } from './closed-output.js';
import { installInterruptHandler } from './interrupt.js';
import { run } from './program.js';

installInterruptHandler();
exitQuietlyWhenOutputCloses();
process.exitCode = await run(process.argv);

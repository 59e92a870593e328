/**
 * apache-arrow, as the same CommonJS instance LanceDB loads. LanceDB `require`s arrow; an
 * ES `import` of it loads the package a second time (its ESM build, some 80 modules), which
 * cost every `gitctx search` about a third of a second of start-up for nothing. Types come
 * from `import type` (erased), values from here.
 */
import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';

export const arrow = createRequire(import.meta.url)('apache-arrow') as typeof Arrow;

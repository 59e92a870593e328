import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { addSettingOptions, settingFlagValues } from '../setting-options.js';
import type { SettingFlag } from '../setting-options.js';
import { FORMATS } from '../../format/types.js';
import { MAX_RESULTS, SEARCH_MODES } from '../../search/types.js';

interface SearchFlags {
  path?: string[];
  lang?: string;
  headOnly?: boolean;
  allKinds?: boolean;
}

/** Options that override a `search.*` setting for this run; checked by the settings schema. */
export const SEARCH_SETTING_FLAGS: readonly SettingFlag[] = [
  { flags: '-n, --limit <n>', key: 'search.limit', help: `how many results, 1 to ${MAX_RESULTS}` },
  { flags: '--min-score <score>', key: 'search.min_score', help: 'drop results whose score is below this (hybrid: 0 to 1; vector: the cosine, -1 to 1; text: BM25 saturated to 0 to 1)' },
  { flags: '--format <format>', key: 'search.format', help: 'output format', choices: FORMATS },
  { flags: '--mode <mode>', key: 'search.mode', help: 'ranking', choices: SEARCH_MODES },
];

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function searchCommand(): Command {
  const command = new Command('search')
    .description('find the code that answers a question (the query comes from arguments, else stdin)')
    .argument('[query...]', 'what to look for, in words or code');
  return addSettingOptions(command, SEARCH_SETTING_FLAGS)
    .option('--path <glob>', 'only paths matching this glob (repeatable; `*.ts` matches any directory)', collect)
    .option('--lang <language>', 'only this language, by name or alias (typescript or ts, python or py, go, markdown or md, ...)')
    .option('--head-only', 'only files as they are at HEAD, not earlier versions')
    .option('--all-kinds', 'rank tests, docs, examples, changelogs and generated files level with source (search.prefer_source=false)')
    .addHelpText(
      'after',
      `
Scores do not depend on the other results, so a question nothing answers scores low:
  hybrid  the larger of the cosine (below 0 counts as 0) and bm25 / (bm25 + 10), 0 to 1
  vector  the cosine similarity of the question and the chunk, -1 to 1
  text    the BM25 score saturated as bm25 / (bm25 + 10), 0 to 1
--format json also gives each ranker's own: "scores": {"vector": cosine, "text": BM25}.

Examples:
  gitctx search "where are API keys masked before printing"
  gitctx search parseConfig --mode text -n 5
  gitctx search "how are retries spaced out" --min-score 0.3
  gitctx search "retry with backoff" --path 'src/**' --lang typescript
  echo "how is the cache file validated" | gitctx search --format mcp
  gitctx search "error handling" --format json | jq '.results[].path'`,
    )
    .action(async (words: string[], flags: SearchFlags, self: Command) => {
      const settingFlags = await settingFlagValues(self.opts(), SEARCH_SETTING_FLAGS, self);
      // A switch with no value, so not in the table of flags that take one: it sets the setting for this run.
      if (flags.allKinds === true) settingFlags.set('search.prefer_source', false);
      return runSearchCommand(words, flags, settingFlags);
    });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function runSearchCommand(words: string[], flags: SearchFlags, settingFlags: Map<string, unknown>): Promise<void> {
  const query = words.length > 0 ? words.join(' ') : await readStdin();
  if (query.trim() === '') throw new UsageError('empty query: pass it as arguments or on stdin');
  // Checked before the index is opened, so a bad pattern is a usage error even where there is none.
  const { compilePathFilter } = await import('../../search/path-filter.js');
  compilePathFilter(flags.path ?? []);
  if (flags.lang !== undefined) (await import('../../search/search.js')).languageId(flags.lang);

  const [{ openContext }, { describeIndexLag, indexLag, openSearcher, searchRequest }, { formatters, printable, shouldColor }] = await Promise.all([
    import('../../app/context.js'),
    import('../../app/search.js'),
    import('../../format/index.js'),
  ]);
  const context = await openContext(settingFlags);
  const settings = context.resolved.settings.search;
  const searcher = await openSearcher(context);
  try {
    const [found, lag] = await Promise.all([
      searcher.search(
        searchRequest(settings, {
          query,
          ...(flags.path ? { paths: flags.path } : {}),
          ...(flags.lang !== undefined ? { language: flags.lang } : {}),
          headOnly: flags.headOnly === true,
        }),
      ),
      indexLag(context),
    ]);
    const response = { ...found, stale: lag !== undefined };
    if (lag !== undefined) process.stderr.write(`gitctx: ${describeIndexLag(lag)}\n`);
    await formatters[settings.format](response, process.stdout, { color: shouldColor(process.stdout, process.env) });
    if (response.results.length === 0) process.stderr.write(`gitctx: no results for ${printable(JSON.stringify(response.query))}\n`);
  } finally {
    searcher.close();
  }
}

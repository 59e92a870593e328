import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';

interface SearchFlags {
  limit?: string;
  minScore?: string;
  format?: string;
  mode?: string;
  path?: string[];
  lang?: string;
  headOnly?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function searchCommand(): Command {
  return new Command('search')
    .description('find the code that answers a question (the query comes from arguments, else stdin)')
    .argument('[query...]', 'what to look for, in words or code')
    .option('-n, --limit <n>', 'how many results, 1 to 100 (default: search.limit, 10)')
    .option('--min-score <score>', 'drop results scoring below this (vector: cosine in [-1, 1]; text: BM25; hybrid: fused, 0 to 1)')
    .addOption(new Option('--format <format>', 'output format (default: search.format, terse)').choices(['terse', 'verbose', 'mcp', 'json']))
    .addOption(new Option('--mode <mode>', 'ranking (default: search.mode, hybrid)').choices(['hybrid', 'vector', 'text']))
    .option('--path <glob>', 'only paths matching this glob (repeatable; `*.ts` matches any directory)', collect)
    .option('--lang <language>', 'only this language (typescript, python, go, markdown, ...)')
    .option('--head-only', 'only files as they are at HEAD, not earlier versions')
    .addHelpText(
      'after',
      `
Examples:
  gitctx search "where are API keys masked before printing"
  gitctx search parseConfig --mode text -n 5
  gitctx search "retry with backoff" --path 'src/**' --lang typescript
  echo "how is the cache file validated" | gitctx search --format mcp
  gitctx search "error handling" --format json | jq '.results[].path'`,
    )
    .action(async (words: string[], flags: SearchFlags) => runSearchCommand(words, flags));
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseNumber(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} takes a ${integer ? 'whole ' : ''}number, got ${JSON.stringify(value)}`);
  }
  return n;
}

async function runSearchCommand(words: string[], flags: SearchFlags): Promise<void> {
  const limit = parseNumber('-n', flags.limit, true);
  if (limit !== undefined && (limit < 1 || limit > 100)) throw new UsageError(`-n must be from 1 to 100, got ${limit}`);
  const minScore = parseNumber('--min-score', flags.minScore, false);
  const query = words.length > 0 ? words.join(' ') : await readStdin();
  if (query.trim() === '') throw new UsageError('empty query: pass it as arguments or on stdin');
  // Checked before the index is opened, so a bad pattern is a usage error even where there is none.
  const { compilePathFilter } = await import('../../search/path-filter.js');
  compilePathFilter(flags.path ?? []);

  const [{ openContext, providerFor }, { Searcher }, { formatters, printable, shouldColor }] = await Promise.all([
    import('../../app/context.js'),
    import('../../search/search.js'),
    import('../../format/index.js'),
  ]);
  const context = await openContext();
  const settings = context.resolved.settings.search;
  const provider = await providerFor(context);
  const searcher = await Searcher.open(context.gitctxDir, provider);
  try {
    const response = await searcher.search({
      query,
      mode: (flags.mode as typeof settings.mode | undefined) ?? settings.mode,
      limit: limit ?? settings.limit,
      ...((minScore ?? settings.min_score) !== undefined ? { minScore: (minScore ?? settings.min_score) as number } : {}),
      paths: flags.path ?? [],
      ...(flags.lang !== undefined ? { language: flags.lang } : {}),
      headOnly: flags.headOnly === true,
    });
    const format = (flags.format as typeof settings.format | undefined) ?? settings.format;
    await formatters[format](response, process.stdout, { color: shouldColor(process.stdout, process.env) });
    if (response.results.length === 0) process.stderr.write(`gitctx: no results for ${printable(JSON.stringify(response.query))}\n`);
  } finally {
    searcher.close();
  }
}

/**
 * Deterministic synthetic repositories for the scale benchmarks: `files` source files of
 * about 2 KB each (TypeScript, Python, Go, Rust, Markdown in a fixed mix), in one
 * commit, written straight into git's object store with `git fast-import` (a work tree
 * checkout of 100,000 files would cost more than the index run being measured). The
 * HEAD tree is all `gitctx index` reads, so no checkout is made.
 *
 * Identifiers are drawn from a vocabulary that grows with the repository (every file
 * has names of its own besides the common words), as a real code base's does: the
 * full-text index sees a realistic number of distinct terms.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { prng } from '../test/helpers/cache-data.js';

const EPOCH = 1_704_067_200;


const WORDS = (
  'account address admin alert amount archive asset audit author balance batch billing block branch buffer bundle cache ' +
  'calendar cart catalog channel charge checkout client cluster comment config connection contact content context cookie ' +
  'coupon credential currency cursor customer dashboard date delivery deploy device digest discount document domain draft ' +
  'email endpoint entry event export feature feed field file filter folder form gateway group handler header history host ' +
  'image import inbox index invoice issue item job key label ledger limit link listing locale lock log member message meta ' +
  'metric module node note notification offset order owner package page parser partner password payload payment permission ' +
  'pipeline plan policy pool post preference price product profile project promotion provider queue quota rate receipt ' +
  'record refund region release report request resource response result review role route rule schedule schema scope ' +
  'search secret segment session setting shipment signal snapshot source stage status storage stream subscription summary ' +
  'tag task team template tenant thread ticket token topic trace transaction transfer upload usage user vendor version ' +
  'video view wallet warehouse webhook widget window worker workflow zone'
).split(' ');
const VERBS = 'get set load save create update delete find list build parse render validate compute apply merge sync send fetch resolve'.split(' ');

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

interface Gen {
  pick<T>(items: readonly T[]): T;
  int(lo: number, hi: number): number;
  /** A word of the shared vocabulary, or one only this file uses. */
  word(): string;
}

function genFor(index: number): Gen {
  const rand = prng(index * 2654435761 + 12345);
  const own = [`${WORDS[index % WORDS.length]}${index.toString(36)}`, `q${(index * 7919).toString(36)}`];
  const gen: Gen = {
    pick: (items) => items[Math.floor(rand() * items.length)] as (typeof items)[number],
    int: (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)),
    word: () => (rand() < 0.12 ? gen.pick(own) : gen.pick(WORDS)),
  };
  return gen;
}

function tsFile(g: Gen, target: number): string {
  const type = cap(g.word()) + cap(g.word());
  const lines = [`import { ${cap(g.word())}Service } from '../${g.word()}/${g.word()}.js';`, `import type { ${cap(g.word())} } from '../types.js';`, ''];
  lines.push(`export interface ${type} {`, `  id: string;`, `  ${g.word()}: number;`, `  ${g.word()}${cap(g.word())}: string | null;`, '}', '');
  while (lines.join('\n').length < target) {
    const fn = `${g.pick(VERBS)}${cap(g.word())}${cap(g.word())}`;
    const a = g.word();
    const b = g.word();
    lines.push(
      `/** ${cap(g.pick(VERBS))}s the ${a} of a ${b}, keeping the ${g.word()} in step. */`,
      `export async function ${fn}(${a}: ${type}, ${b}: number): Promise<${type}[]> {`,
      `  const ${g.word()}List = await ${g.word()}Service.${g.pick(VERBS)}(${a}.id);`,
      `  if (${b} > ${g.int(1, 500)}) throw new Error('${a} ${g.word()} over limit');`,
      `  return ${g.word()}List.filter((x) => x.${g.word()} !== ${a}.${g.word()}).slice(0, ${b});`,
      '}',
      '',
    );
  }
  return lines.join('\n');
}

function pyFile(g: Gen, target: number): string {
  const cls = cap(g.word()) + cap(g.word());
  const lines = [`from .${g.word()} import ${cap(g.word())}Client`, `import logging`, '', `log = logging.getLogger(__name__)`, '', `class ${cls}:`];
  lines.push(`    """Keeps ${g.word()} and ${g.word()} records for one ${g.word()}."""`, '', `    def __init__(self, ${g.word()}_id: str):`, `        self.${g.word()} = {}`, '');
  while (lines.join('\n').length < target) {
    const a = g.word();
    lines.push(
      `    def ${g.pick(VERBS)}_${g.word()}_${a}(self, ${a}, limit=${g.int(1, 100)}):`,
      `        """${cap(g.pick(VERBS))} the ${a} for a ${g.word()}."""`,
      `        rows = self.${g.word()}.get(${a}, [])`,
      `        if len(rows) > limit:`,
      `            log.warning("${a} ${g.word()} over limit")`,
      `        return [r for r in rows if r.${g.word()} != ${a}]`,
      '',
    );
  }
  return lines.join('\n');
}

function goFile(g: Gen, target: number): string {
  const typ = cap(g.word()) + cap(g.word());
  const lines = [`package ${g.word()}`, '', 'import (', '\t"context"', '\t"fmt"', ')', '', `type ${typ} struct {`, `\tID string`, `\t${cap(g.word())} int`, '}', ''];
  while (lines.join('\n').length < target) {
    const a = g.word();
    lines.push(
      `// ${cap(g.pick(VERBS))}${cap(a)} ${g.pick(VERBS)}s the ${a} of a ${g.word()}.`,
      `func (s *${typ}) ${cap(g.pick(VERBS))}${cap(a)}(ctx context.Context, ${a} string) (int, error) {`,
      `\tif ${a} == "" {`,
      `\t\treturn 0, fmt.Errorf("${g.word()}: empty ${a}")`,
      '\t}',
      `\treturn s.${cap(g.word())} + ${g.int(1, 900)}, nil`,
      '}',
      '',
    );
  }
  return lines.join('\n');
}

function rsFile(g: Gen, target: number): string {
  const typ = cap(g.word()) + cap(g.word());
  const lines = [`use crate::${g.word()}::${cap(g.word())};`, '', `pub struct ${typ} {`, `    ${g.word()}: Vec<u64>,`, '}', '', `impl ${typ} {`];
  while (lines.join('\n').length < target) {
    const a = g.word();
    lines.push(
      `    /// ${cap(g.pick(VERBS))}s the ${a} for one ${g.word()}.`,
      `    pub fn ${g.pick(VERBS)}_${a}(&mut self, ${a}: u64) -> Option<u64> {`,
      `        self.${g.word()}.iter().copied().find(|x| *x > ${a} + ${g.int(1, 99)})`,
      '    }',
      '',
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}

function mdFile(g: Gen, target: number): string {
  const lines = [`# ${cap(g.word())} ${g.word()}`, ''];
  while (lines.join('\n').length < target) {
    const words = Array.from({ length: g.int(25, 60) }, () => g.word());
    lines.push(`## ${cap(g.pick(VERBS))} a ${g.word()}`, '', `${cap(words.join(' '))}.`, '');
  }
  return lines.join('\n');
}

const KINDS = [
  { ext: 'ts', weight: 4, make: tsFile },
  { ext: 'py', weight: 2, make: pyFile },
  { ext: 'go', weight: 2, make: goFile },
  { ext: 'rs', weight: 1, make: rsFile },
  { ext: 'md', weight: 1, make: mdFile },
] as const;
const KIND_WHEEL = KINDS.flatMap((k) => Array.from({ length: k.weight }, () => k));

/** The path and text of file number `index`: the same on every run. */
export function syntheticFile(index: number): { path: string; text: string } {
  const g = genFor(index);
  const kind = KIND_WHEEL[index % KIND_WHEEL.length] as (typeof KIND_WHEEL)[number];
  const text = kind.make(g, g.int(1500, 2500));
  const dir = `pkg${Math.floor(index / 2000)}/${WORDS[Math.floor(index / 50) % WORDS.length]}${Math.floor(index / 50)}`;
  return { path: `${dir}/${g.word()}_${index}.${kind.ext}`, text };
}

/** Fills the empty git repository `dir` (already `git init`ed) with one commit of `files` synthetic files on `main`. */
export async function writeSyntheticRepo(dir: string, files: number): Promise<void> {
  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: dir, stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = once(child, 'close');
  const input = child.stdin;
  const write = async (chunk: string | Buffer) => {
    if (!input.write(chunk)) await once(input, 'drain');
  };
  const paths: string[] = [];
  for (let i = 0; i < files; i++) {
    const { path, text } = syntheticFile(i);
    const bytes = Buffer.from(text);
    paths.push(path);
    await write(`blob\nmark :${i + 1}\ndata ${bytes.length}\n`);
    await write(bytes);
    await write('\n');
  }
  const message = `${files} synthetic files\n`;
  await write(`commit refs/heads/main\nauthor bench <bench@example.com> ${EPOCH} +0000\ncommitter bench <bench@example.com> ${EPOCH} +0000\n`);
  await write(`data ${Buffer.byteLength(message)}\n${message}`);
  for (const [i, path] of paths.entries()) await write(`M 100644 :${i + 1} ${path}\n`);
  await write('\ndone\n');
  input.end();
  const [code] = (await exited) as [number | null];
  if (code !== 0) throw new Error(`git fast-import exited with ${code}`);
}

/**
 * Makes src/cache runnable by a plain `node` child process without building
 * dist/: each module is transpiled on its own (no type check, milliseconds) into
 * a temp dir whose node_modules points at the repo's. Tests that need real
 * concurrent processes spawn scripts that import from there.
 */
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function sources(): Promise<string[]> {
  const cacheDir = join(repo, 'src', 'cache');
  const files = (await readdir(cacheDir)).filter((f) => f.endsWith('.ts')).map((f) => join(cacheDir, f));
  return [...files, join(repo, 'src', 'errors.ts'), join(repo, 'src', 'fs-read.ts')];
}

/** Transpiles src/cache and its one dependency into `outDir`; returns the path of the compiled src/ there. */
export async function transpileCache(outDir: string): Promise<string> {
  for (const file of await sources()) {
    const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: file,
    });
    const target = join(outDir, relative(repo, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}\n');
  // 'junction' makes this work without privileges on Windows; POSIX ignores the type.
  await symlink(join(repo, 'node_modules'), join(outDir, 'node_modules'), 'junction');
  return join(outDir, 'src');
}

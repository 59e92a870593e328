/**
 * `npm run bench [part...]`: runs every bench/*.bench.ts part (or only the named ones).
 * Each part's default export prints its own table to stdout; figures are ratios
 * against a baseline measured in the same run, never absolute pass/fail timings.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const parts = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .map((f) => f.slice(0, -'.bench.js'.length))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

for (const name of parts) {
  process.stdout.write(`\n## ${name}\n\n`);
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.js`)).href)) as { default: () => Promise<void> };
  await mod.default();
}

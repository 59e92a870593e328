import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every file below `root` (none if it does not exist), sorted. */
export function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(path);
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

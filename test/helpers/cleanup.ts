import { afterEach } from 'vitest';

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Cleans `thing` up after the current test (temp repositories, directories), newest first. */
export function track<T extends { cleanup(): void }>(thing: T): T {
  cleanups.push(() => thing.cleanup());
  return thing;
}

/** Small, typical source files shared by the chunker tests. */

export const TYPESCRIPT = `import { readFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';

const DEFAULT_LIMIT = 10;

/**
 * Loads a configuration file and parses it as JSON.
 * Throws when the file is missing or malformed.
 */
export async function loadConfig(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(\`bad config \${path}: \${String(error)}\`);
  }
}

@injectable()
export class Cache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }
}

export function isFresh(stats: Stats, maxAgeMs: number): boolean {
  return Date.now() - stats.mtimeMs < maxAgeMs;
}
`;

export const PYTHON = `"""Utilities for reading sensor data."""
import csv
import statistics
from dataclasses import dataclass


@dataclass
class Reading:
    sensor: str
    value: float


def load(path):
    """Reads every row of a CSV file as a Reading."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        return [Reading(row["sensor"], float(row["value"])) for row in reader]


def summarize(readings):
    by_sensor = {}
    for reading in readings:
        by_sensor.setdefault(reading.sensor, []).append(reading.value)
    result = {}
    for sensor, values in by_sensor.items():
        result[sensor] = {
            "mean": statistics.mean(values),
            "max": max(values),
        }
    return result


if __name__ == "__main__":
    import sys
    print(summarize(load(sys.argv[1])))
`;

/** Go is indented with tabs; written here with 4 spaces per tab. */
export const GO = `package store

import (
    "errors"
    "sync"
)

// ErrNotFound is returned when a key is missing.
var ErrNotFound = errors.New("not found")

// Store is a concurrency-safe key/value map.
type Store struct {
    mu   sync.RWMutex
    data map[string][]byte
}

// New returns an empty store.
func New() *Store {
    return &Store{data: make(map[string][]byte)}
}

// Get returns the value for key, or ErrNotFound.
func (s *Store) Get(key string) ([]byte, error) {
    s.mu.RLock()
    defer s.mu.RUnlock()
    v, ok := s.data[key]
    if !ok {
        return nil, ErrNotFound
    }
    return v, nil
}

// Put stores value under key, replacing any previous value.
func (s *Store) Put(key string, value []byte) {
    s.mu.Lock()
    defer s.mu.Unlock()
    s.data[key] = value
}
`.replace(/^(?: {4})+/gm, (indent) => '\t'.repeat(indent.length / 4));

export const MARKDOWN = `# Widget

Widget turns a directory of notes into a searchable site. It reads every
markdown file, extracts the headings and links, and writes static HTML that
any web server can host without a database or a build step on the server.

## Install

Widget needs Node 20 or later. Install it globally with npm, or run it once
with npx when you only want to try it on a folder of notes:

\`\`\`bash
# global install
npm install -g widget
\`\`\`

## Usage

Point widget at a folder. It writes the site to \`dist/\` beside the folder
unless you pass \`--out\`. Pages keep the folder layout, so links between notes
keep working, and headings become anchors you can link to from anywhere.

Then open \`dist/index.html\` in a browser, or serve the folder with any static
file server. Rebuilding only rewrites pages whose notes changed.

### Options

- \`--out DIR\` writes the site somewhere else.
- \`--base URL\` prefixes every link, for sites served from a sub-path.
- \`--drafts\` includes notes marked as drafts in their front matter.

## License

MIT
`;

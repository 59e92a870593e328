import type { StoredChunk as ScoredChunk } from '../store/index.js';
import type { SearchResult } from './types.js';

function better(a: ScoredChunk, b: ScoredChunk): boolean {
  if (a.isHead !== b.isHead) return a.isHead;
  if (a.score !== b.score) return a.score > b.score;
  return (a.commit?.date ?? '') > (b.commit?.date ?? '');
}

/**
 * One result per blob and line range: the same content seen at several commits or
 * paths is shown once (the HEAD copy preferred), and chunks of one file version whose
 * lines overlap (the pieces of one very long line) become one span.
 * Input order is rank order; the output keeps it.
 */
export function groupResults(ranked: readonly ScoredChunk[]): SearchResult[] {
  const byRange = new Map<string, ScoredChunk>();
  for (const chunk of ranked) {
    const key = `${chunk.blobSha}:${chunk.startLine}:${chunk.endLine}:${chunk.chunkIndex}`;
    const seen = byRange.get(key);
    if (seen === undefined || better(chunk, seen)) byRange.set(key, chunk);
  }
  const spans: { file: string; parts: ScoredChunk[] }[] = [];
  for (const chunk of [...byRange.values()].sort((a, b) => b.score - a.score)) {
    const file = `${chunk.path}\0${chunk.blobSha}`;
    const span = spans.find(
      (s) => s.file === file && s.parts.some((p) => p.startLine <= chunk.endLine && chunk.startLine <= p.endLine),
    );
    if (span) span.parts.push(chunk);
    else spans.push({ file, parts: [chunk] });
  }
  return spans.map(({ parts }) => mergeSpan(parts));
}

function mergeSpan(parts: ScoredChunk[]): SearchResult {
  const [first] = parts as [ScoredChunk, ...ScoredChunk[]];
  if (parts.length === 1) return stripChunk(first);
  const ordered = [...parts].sort((a, b) => a.startLine - b.startLine || a.chunkIndex - b.chunkIndex);
  let content = '';
  let lastLine = 0;
  for (const part of ordered) {
    // Pieces of one long line continue it; anything else starts on a new line.
    const continues = part.startLine === lastLine && part.startLine === part.endLine;
    content += content === '' ? part.content : continues ? part.content : `\n${part.content}`;
    lastLine = part.endLine;
  }
  return {
    ...stripChunk(first),
    startLine: Math.min(...parts.map((p) => p.startLine)),
    endLine: Math.max(...parts.map((p) => p.endLine)),
    score: Math.max(...parts.map((p) => p.score)),
    content,
  };
}

function stripChunk(chunk: ScoredChunk): SearchResult {
  const { chunkIndex: _chunkIndex, ...result } = chunk;
  return result;
}

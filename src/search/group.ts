import type { StoredChunk } from '../store/index.js';
import type { Fused } from './fusion.js';
import type { SearchResult } from './types.js';

type ScoredChunk = Fused<StoredChunk>;

function better(a: ScoredChunk, b: ScoredChunk): boolean {
  if (a.isHead !== b.isHead) return a.isHead;
  if (a.score !== b.score) return a.score > b.score;
  return (a.commit?.date ?? '') > (b.commit?.date ?? '');
}

/** A run of touching lines of one file version, built from the chunks that cover it. */
interface Span {
  file: string;
  startLine: number;
  endLine: number;
  parts: ScoredChunk[];
}

/** Overlapping or adjacent (one ends on the line before the other starts). */
const touches = (span: Span, chunk: ScoredChunk) => span.startLine <= chunk.endLine + 1 && chunk.startLine <= span.endLine + 1;

/**
 * One result per blob and line range: the same content seen at several commits or
 * paths is shown once (the HEAD copy preferred), and chunks of one file version whose
 * lines overlap (the pieces of one very long line) or follow each other become one span,
 * so one file does not fill the list with its consecutive chunks. A chunk that touches
 * two spans joins them. A span ranks where its best chunk ranked.
 * Input order is rank order; the output keeps it.
 */
export function groupResults(ranked: readonly ScoredChunk[]): SearchResult[] {
  const byRange = new Map<string, ScoredChunk>();
  for (const chunk of ranked) {
    const key = `${chunk.blobSha}:${chunk.startLine}:${chunk.endLine}:${chunk.chunkIndex}`;
    const seen = byRange.get(key);
    if (seen === undefined || better(chunk, seen)) byRange.set(key, chunk);
  }
  const spans: Span[] = [];
  // In rank order: a blob and range ranks where its best copy ranked.
  for (const chunk of byRange.values()) {
    const file = `${chunk.path}\0${chunk.blobSha}`;
    const touched = spans.filter((s) => s.file === file && touches(s, chunk));
    const [into, ...bridged] = touched;
    if (into === undefined) {
      spans.push({ file, startLine: chunk.startLine, endLine: chunk.endLine, parts: [chunk] });
      continue;
    }
    for (const other of [chunk, ...bridged.flatMap((s) => s.parts)]) {
      into.parts.push(other);
      into.startLine = Math.min(into.startLine, other.startLine);
      into.endLine = Math.max(into.endLine, other.endLine);
    }
    for (const other of bridged) spans.splice(spans.indexOf(other), 1);
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
  // The span's scores are its best part's: the chunk it ranks by.
  const best = parts.reduce((a, b) => (b.score > a.score ? b : a));
  return {
    ...stripChunk(first),
    startLine: Math.min(...parts.map((p) => p.startLine)),
    endLine: Math.max(...parts.map((p) => p.endLine)),
    score: best.score,
    scores: best.scores,
    content,
  };
}

function stripChunk(chunk: ScoredChunk): SearchResult {
  const { chunkIndex: _chunkIndex, ...result } = chunk;
  return result;
}

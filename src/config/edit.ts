/**
 * Editing a settings file as text a person also edits: one key changes, every comment stays.
 *
 * The yaml Document API keeps comments on the nodes they precede or follow. This module adds
 * what it lacks for settings files: a new key goes right under its commented-out line (the form
 * `gitctx config init` writes), a removed key's comments move to whatever followed it, and a
 * section emptied of keys keeps its comments. Pure: text in, text out; the caller reads and writes.
 */
import { isCollection, isMap, isNode, isPair, isScalar, isSeq, parseDocument, Scalar, YAMLMap } from 'yaml';
import type { Document, Pair, ToStringOptions } from 'yaml';
import { UsageError } from '../errors.js';
import { settingsSchema } from './schema.js';
import { parseSettingsYaml } from './load.js';

/** No folding of long values, and `[a, b]` as `config init` writes lists. */
const OUTPUT: ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

export interface SetSettingResult {
  text: string;
  /** The value the file held before, undefined when it had none. */
  previous: unknown;
}

export interface UnsetSettingResult {
  text: string;
  /** False when the file did not set the key; `text` is then unchanged. */
  removed: boolean;
  previous: unknown;
}

type AnyPair = Pair<unknown, unknown>;
type CommentHolder = { commentBefore?: string | null; comment?: string | null; spaceBefore?: boolean };

function splitKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}

function joinComments(...parts: (string | null | undefined)[]): string | undefined {
  const present = parts.filter((part): part is string => typeof part === 'string' && part !== '');
  return present.length > 0 ? present.join('\n') : undefined;
}

function keyName(pair: AnyPair): string | undefined {
  const key = pair.key;
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function holder(node: unknown): CommentHolder | undefined {
  return isNode(node) ? (node as CommentHolder) : undefined;
}

/** Every comment inside a collection value (on its items, at any depth), in document order. */
function innerComments(node: unknown): string | undefined {
  if (!isCollection(node)) return undefined;
  const parts: (string | null | undefined)[] = [];
  const walk = (child: unknown): void => {
    if (isPair(child)) {
      walk(child.key);
      walk(child.value);
      return;
    }
    const h = holder(child);
    if (!h) return;
    parts.push(h.commentBefore);
    if (isCollection(child)) for (const item of child.items) walk(item);
    parts.push(h.comment);
  };
  for (const item of node.items) walk(item);
  return joinComments(...parts);
}

function isEmptyNode(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined));
}

function parseSettingsDocument(text: string, origin: string): Document {
  const doc = parseDocument(text);
  const error = doc.errors[0];
  if (error) throw new UsageError(`${origin}: not valid YAML (${error.message.split('\n')[0] ?? 'parse error'})`);
  if (!isEmptyNode(doc.contents) && !isMap(doc.contents)) {
    throw new UsageError(`${origin}: expected a mapping of sections (${Object.keys(settingsSchema.shape).join(', ')})`);
  }
  return doc;
}

// Comment lines between a map's items form blocks: block i sits before item i, block n (n = items.length)
// after the last item. The parser puts block 0 on the map itself, so it is read from and written there.

function blockBefore(map: YAMLMap, index: number): string | undefined {
  if (index >= map.items.length) return joinComments(map.items.length === 0 ? map.commentBefore : undefined, map.comment);
  const key = holder(map.items[index]!.key);
  return index === 0 ? joinComments(map.commentBefore, key?.commentBefore) : joinComments(key?.commentBefore);
}

function setBlockBefore(map: YAMLMap, index: number, text: string | undefined): void {
  if (index >= map.items.length) {
    if (map.items.length === 0) map.commentBefore = undefined;
    map.comment = text;
    return;
  }
  const key = holder(map.items[index]!.key);
  if (index === 0) {
    map.commentBefore = text;
    if (key) key.commentBefore = undefined;
  } else if (key) {
    key.commentBefore = text;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where the commented-out line `# name: ...` is, if a comment block holds one. */
function findCommentedKey(map: YAMLMap, name: string): { block: number; line: number } | undefined {
  const pattern = new RegExp(`^\\s*${escapeRegExp(name)}\\s*:(\\s|$)`);
  for (let block = 0; block <= map.items.length; block++) {
    const lines = blockBefore(map, block)?.split('\n') ?? [];
    const line = lines.findIndex((text) => pattern.test(text));
    if (line >= 0) return { block, line };
  }
  return undefined;
}

/**
 * Adds a pair under its commented-out line when there is one (keeping that line), else after the last
 * item; says which.
 */
function insertPair(map: YAMLMap, pair: AnyPair, name: string): boolean {
  const found = findCommentedKey(map, name);
  if (!found) {
    map.items.push(pair);
    return false;
  }
  const lines = blockBefore(map, found.block)!.split('\n');
  const next = map.items[found.block] as AnyPair | undefined;
  const nextKey = holder(next?.key);
  map.items.splice(found.block, 0, pair);
  setBlockBefore(map, found.block, lines.slice(0, found.line + 1).join('\n'));
  setBlockBefore(map, found.block + 1, joinComments(lines.slice(found.line + 1).join('\n')));
  // A blank line that opened the split block now opens the new key's part of it.
  if (nextKey?.spaceBefore) {
    const key = holder(pair.key);
    if (key) key.spaceBefore = true;
    nextKey.spaceBefore = false;
  }
  return true;
}

/** Removes an item; its comments, and the ones on its value, stay where it was. */
function removePair(map: YAMLMap, index: number): AnyPair {
  const removedBlock = blockBefore(map, index);
  setBlockBefore(map, index, undefined);
  const [pair] = map.items.splice(index, 1) as [AnyPair];
  const key = holder(pair.key);
  const value = holder(pair.value);
  const kept = joinComments(removedBlock, key?.comment, value?.commentBefore, innerComments(pair.value), value?.comment);
  setBlockBefore(map, index, joinComments(kept, blockBefore(map, index)));
  const nextKey = holder(map.items[index]?.key);
  if (key?.spaceBefore && nextKey) nextKey.spaceBefore = true;
  return pair;
}

function topLevel(doc: Document, create: boolean): YAMLMap | undefined {
  if (isMap(doc.contents)) return doc.contents;
  if (!create) return undefined;
  const map = new YAMLMap(doc.schema);
  // A file of comments only: the comments stay above the first section.
  map.commentBefore = joinComments(holder(doc.contents)?.commentBefore, holder(doc.contents)?.comment);
  doc.contents = map as unknown as Document['contents'];
  return map;
}

function sectionMap(doc: Document, section: string, origin: string, create: boolean): YAMLMap | undefined {
  const top = topLevel(doc, create);
  if (!top) return undefined;
  const pair = (top.items as AnyPair[]).find((p) => keyName(p) === section);
  if (pair && isMap(pair.value)) return pair.value;
  if (pair && !isEmptyNode(pair.value)) throw new UsageError(`${origin}: section "${section}" must be a mapping`);
  if (!create) return undefined;
  const map = new YAMLMap(doc.schema);
  if (pair) {
    // `search:` with only comments under it (as `config init` writes it): those comments become the map's.
    const empty = holder(pair.value);
    map.commentBefore = joinComments(empty?.commentBefore, empty?.comment);
    pair.value = map;
  } else {
    const pairNode = doc.createPair(section, map) as AnyPair;
    const key = holder(pairNode.key);
    // A section added at the end is set off by a blank line, as `config init` writes them.
    if (!insertPair(top, pairNode, section) && key && top.items.length > 1) key.spaceBefore = true;
  }
  return map;
}

/**
 * The parser keeps a blank line after a section either as the end of that section's last comment or
 * as the next key's `spaceBefore`. Moving keys around can leave both (two blank lines) or a blank line
 * at the very end; this puts back one blank line between sections and none after the last.
 */
function tidyBlankLines(doc: Document): void {
  const top = topLevel(doc, false);
  if (!top) return;
  top.items.forEach((pair, index) => {
    const value = holder(pair.value);
    if (!value?.comment?.endsWith('\n')) return;
    const next = holder(top.items[index + 1]?.key);
    if (next === undefined) value.comment = value.comment.replace(/\n+$/, '');
    else if (next.spaceBefore) next.spaceBefore = false;
  });
}

function rawEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  const doc: unknown = parseSettingsYaml(text, 'the edited settings file', parseDocument);
  if (doc === null || typeof doc !== 'object') return entries;
  for (const [section, body] of Object.entries(doc)) {
    if (body === null || body === undefined) continue;
    if (typeof body !== 'object' || Array.isArray(body)) {
      entries.set(section, JSON.stringify(body));
      continue;
    }
    for (const [name, value] of Object.entries(body)) entries.set(`${section}.${name}`, JSON.stringify(value));
  }
  return entries;
}

function commentsOnly(...parts: (string | null | undefined)[]): string {
  const comments = joinComments(...parts);
  if (comments === undefined) return '';
  return `${comments
    .split('\n')
    .map((line) => (line === '' ? '' : `#${line}`))
    .join('\n')}\n`;
}

/**
 * The edit must change the one key and nothing else; if the comment bookkeeping ever went wrong,
 * failing here beats writing a file that means something else.
 */
function checkEdit(before: string, after: string, key: string, value: unknown, origin: string): void {
  const expected = rawEntries(before);
  if (value === undefined) expected.delete(key);
  else expected.set(key, JSON.stringify(value));
  const actual = rawEntries(after);
  const same = expected.size === actual.size && [...expected].every(([k, v]) => actual.get(k) === v);
  if (!same) throw new Error(`editing ${origin} for ${key} would change other settings; the file was left as it was`);
}

function toValueNode(doc: Document, value: unknown, old: unknown): unknown {
  const node = doc.createNode(value, { flow: true });
  if (isSeq(node) && isSeq(old) && !old.flow) node.flow = false;
  if (isScalar(node) && isScalar(old) && typeof node.value === 'string' && typeof old.value === 'string') {
    // Someone who quoted the value meant to; keep their quotes.
    if (old.type === Scalar.QUOTE_DOUBLE || old.type === Scalar.QUOTE_SINGLE) node.type = old.type;
  }
  const from = holder(old);
  const to = holder(node);
  if (from && to) {
    to.comment = from.comment;
    to.commentBefore = from.commentBefore;
    to.spaceBefore = from.spaceBefore;
  }
  return node;
}

/** Sets `section.key` to an already-validated value in a settings file's text (undefined: no file yet). */
export function setSettingInText(text: string | undefined, key: string, value: unknown, origin: string): SetSettingResult {
  const before = text ?? '';
  const doc = parseSettingsDocument(before, origin);
  const [section, name] = splitKey(key);
  const map = sectionMap(doc, section, origin, true)!;
  const existing = (map.items as AnyPair[]).find((p) => keyName(p) === name);
  const previous: unknown = existing === undefined ? undefined : isNode(existing.value) ? existing.value.toJSON() : existing.value;
  if (existing) {
    // Comments on the items of a list being replaced stay, above the key.
    const index = map.items.indexOf(existing);
    const inner = innerComments(existing.value);
    if (inner !== undefined) setBlockBefore(map, index, joinComments(blockBefore(map, index), inner));
    existing.value = toValueNode(doc, value, existing.value);
  } else {
    // The parser keeps a blank line after a section as the end of its trailing comment; a split may take it away.
    const blankAfter = map.comment?.endsWith('\n') === true;
    insertPair(map, doc.createPair(name, toValueNode(doc, value, undefined)) as AnyPair, name);
    if (blankAfter && map.comment?.endsWith('\n') !== true) {
      const top = topLevel(doc, false)!;
      const next = holder(top.items[(top.items as AnyPair[]).findIndex((p) => keyName(p) === section) + 1]?.key);
      if (next) next.spaceBefore = true;
    }
  }
  tidyBlankLines(doc);
  const after = doc.toString(OUTPUT);
  checkEdit(before, after, key, value, origin);
  return { text: after, previous };
}

/** Removes `section.key` from a settings file's text; a section left without keys keeps its comments, or goes. */
export function unsetSettingInText(text: string, key: string, origin: string): UnsetSettingResult {
  const doc = parseSettingsDocument(text, origin);
  const [section, name] = splitKey(key);
  const map = sectionMap(doc, section, origin, false);
  const index = map ? (map.items as AnyPair[]).findIndex((p) => keyName(p) === name) : -1;
  if (!map || index < 0) return { text, removed: false, previous: undefined };
  const pair = removePair(map, index);
  const previous: unknown = isNode(pair.value) ? pair.value.toJSON() : pair.value;
  const top = topLevel(doc, false)!;
  if (map.items.length === 0) {
    const sectionIndex = (top.items as AnyPair[]).findIndex((p) => keyName(p) === section);
    const comments = joinComments(map.commentBefore, map.comment);
    if (comments === undefined) {
      removePair(top, sectionIndex);
    } else {
      // Back to the `section:` + comments form `config init` writes; an empty plain scalar prints as nothing.
      const empty = new Scalar(null);
      empty.source = '';
      empty.comment = comments;
      top.items[sectionIndex]!.value = empty;
    }
  }
  tidyBlankLines(doc);
  // With no section left, yaml would print `{}`; the file keeps only its comments, if any.
  const after = top.items.length > 0 ? doc.toString(OUTPUT) : commentsOnly(doc.commentBefore, top.commentBefore, top.comment, doc.comment);
  checkEdit(text, after, key, undefined, origin);
  return { text: after, removed: true, previous };
}

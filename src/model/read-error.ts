/**
 * @module Reads a step's `error` field (a Python traceback, other text, or an object) into what the
 * OpenTelemetry exception conventions name: the type, the message without its `Type: ` prefix, the
 * text exactly as sent, and the leaf exceptions of a Python exception group.
 */
import type { LeafException, StepError } from './types.js';

/** How many leaf exceptions of one exception group are kept; the group's stack trace still holds them all. */
export const MAX_LEAF_EXCEPTIONS = 10;

// Python's traceback module stops at 10 nested groups; this bounds our recursion on hostile input.
const MAX_GROUP_DEPTH = 16;
const TRACEBACK_HEADERS: ReadonlySet<string> = new Set([
  'Traceback (most recent call last):',
  'Exception Group Traceback (most recent call last):',
]);
// The lines Python's traceback module writes between chained exceptions (`__cause__`, `__context__`).
const CHAIN_SEPARATORS: ReadonlySet<string> = new Set([
  'The above exception was the direct cause of the following exception:',
  'During handling of the above exception, another exception occurred:',
]);
// Python writes `{module}.{qualname}` (module left out for builtins and __main__), then `: {str(e)}` unless empty.
const PYTHON_EXCEPTION_LINE = /^([A-Za-z_<][\w.<>]*)(?:: (.*))?$/;
// Outside a Python traceback, only a name that reads as an error type is taken as one (`TimeoutError: ...`).
const NAMED_ERROR_LINE = /^((?:[A-Za-z_][\w.]*)?(?:Error|Exception|Exit|Interrupt|Warning)):\s*(.*)$/;
// Sub-exception separators of an exception group, one level down from its own lines.
const FIRST_SUB_SEPARATOR = /^\+-\+-+ (.+) -+$/;
const NEXT_SUB_SEPARATOR = /^ {2}\+-+ (.+) -+$/;
const CLOSING_SEPARATOR = /^ {2}\+-+$/;
// Title Python gives the sub-exception block that stands for those past `max_group_width`.
const ELIDED_SUB_TITLE = '...';
// What Python writes instead of a group nested deeper than `max_group_depth`.
const ELIDED_GROUP_LINE = /^\.\.\. \(max_group_depth is \d+\)$/;

/** One exception of a Python chain, with the chains of its sub-exceptions when it is a group. */
interface ParsedException {
  /** The line naming the exception (`ValueError: bad`). */
  readonly line: string;
  readonly type: string | undefined;
  readonly message: string;
  readonly subExceptions: ReadonlyArray<readonly string[]>;
}

/**
 * Splits an `error` field of any shape; undefined when empty (`""`, whitespace, `null`, `false`, `{}`).
 * `stacktrace` is the text exactly as sent (for objects: their stack field, else their JSON).
 */
export function readError(value: unknown): StepError | undefined {
  if (value === null || value === undefined || value === false) return undefined;
  if (value === true) return { message: 'error', stacktrace: 'error', type: undefined, exceptionMessage: 'error', leafExceptions: [] };
  if (typeof value === 'string' || typeof value === 'number') {
    const text = String(value);
    return text.trim() === '' ? undefined : errorFromText(text);
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (Object.keys(record).length === 0) return undefined;
    const text = JSON.stringify(value);
    const message = firstString(record, ['message', 'error', 'msg', 'detail']);
    const stack = firstString(record, ['stacktrace', 'stack_trace', 'stack', 'traceback']);
    const type = firstString(record, ['type', 'exception_type', 'name', 'code']);
    const fromText = errorFromText(message ?? stack ?? text);
    const fromStack = message !== undefined && stack !== undefined ? errorFromText(stack) : undefined;
    return {
      message: fromText.message,
      stacktrace: stack ?? text,
      type: type ?? fromText.type ?? fromStack?.type,
      exceptionMessage: fromText.exceptionMessage,
      leafExceptions: fromText.leafExceptions.length > 0 ? fromText.leafExceptions : (fromStack?.leafExceptions ?? []),
    };
  }
  return undefined;
}

function firstString(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

function errorFromText(text: string): StepError {
  const lines = text.split(/\r?\n/).map((line) => line.trimEnd());
  const isTraceback = lines.some((line) => TRACEBACK_HEADERS.has(line.replace(/^[ |+]*/, '')));
  const python = isTraceback ? (lastOfChain(parseLevel(toGutteredLines(lines), 0)) ?? lastLineException(lines)) : undefined;
  if (python !== undefined) {
    return {
      message: python.line,
      stacktrace: text,
      type: python.type,
      exceptionMessage: python.message,
      leafExceptions: leavesOf(python, 0, []),
    };
  }
  const firstLine = lines.map((line) => line.trim()).find((line) => line !== '') ?? text;
  const named = NAMED_ERROR_LINE.exec(firstLine);
  return { message: firstLine, stacktrace: text, type: named?.[1], exceptionMessage: named?.[2] ?? firstLine, leafExceptions: [] };
}

/**
 * Brings the top level of a traceback into the shape every level inside a group has: each of the
 * level's own lines behind a `| ` gutter (`+ ` on a group's first line), sub-exception separators
 * and deeper levels without one.
 */
function toGutteredLines(lines: readonly string[]): string[] {
  const guttered: string[] = [];
  let inGroup = false;
  for (const line of lines) {
    // A top-level group is written two columns in, its lines behind `+`/`|`; a plain traceback's frames never are.
    if (inGroup && line.startsWith('  ')) guttered.push(line.slice(2));
    else if (/^ {2}[+|](?: |$)/.test(line)) {
      inGroup = true;
      guttered.push(line.slice(2));
    } else {
      inGroup = false;
      guttered.push(`| ${line}`);
    }
  }
  return guttered;
}

function isOwnLine(line: string): boolean {
  return line === '|' || line.startsWith('| ') || line.startsWith('+ ');
}

/** Reads one level of guttered lines as a chain of exceptions, oldest first. */
function parseLevel(lines: readonly string[], depth: number): ParsedException[] {
  const chain: ParsedException[] = [];
  let ownLines: string[] = [];
  let subExceptions: string[][] = [];
  const finish = (): void => {
    const parsed = parseException(ownLines, subExceptions);
    if (parsed !== undefined) chain.push(parsed);
    ownLines = [];
    subExceptions = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (isOwnLine(line)) {
      const own = line.slice(2);
      if (CHAIN_SEPARATORS.has(own.trim())) finish();
      else ownLines.push(own);
    } else if (FIRST_SUB_SEPARATOR.test(line)) {
      let end = i;
      while (end < lines.length && !isOwnLine(lines[end] as string)) end++;
      if (depth < MAX_GROUP_DEPTH) subExceptions = splitSubExceptions(lines.slice(i, end));
      i = end - 1;
    } else {
      ownLines.push(line);
    }
  }
  finish();
  return chain;
}

/** Splits the separator-delimited sub-exception blocks of a group into their own guttered levels. */
function splitSubExceptions(lines: readonly string[]): string[][] {
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    const title = FIRST_SUB_SEPARATOR.exec(line)?.[1] ?? NEXT_SUB_SEPARATOR.exec(line)?.[1];
    if (title !== undefined) {
      current = title === ELIDED_SUB_TITLE ? undefined : [];
      if (current !== undefined) blocks.push(current);
    } else if (CLOSING_SEPARATOR.test(line)) {
      current = undefined;
    } else {
      current?.push(line.slice(2));
    }
  }
  return blocks;
}

/** One exception from its own lines: an optional traceback header and frames, then its `Type: message` lines. */
function parseException(ownLines: readonly string[], subExceptions: ReadonlyArray<readonly string[]>): ParsedException | undefined {
  const header = ownLines.findIndex((line) => TRACEBACK_HEADERS.has(line));
  let start = header + 1;
  // Frames are indented; the exception's own lines (and any text before the header) are not.
  while (start < ownLines.length && (ownLines[start] === '' || /^\s/.test(ownLines[start] as string))) start++;
  let end = ownLines.length;
  while (end > start && (ownLines[end - 1] as string).trim() === '') end--;
  if (start >= end) return undefined;
  const line = ownLines[start] as string;
  const rest = ownLines.slice(start + 1, end);
  const typed = PYTHON_EXCEPTION_LINE.exec(line);
  if (typed === null) return { line, type: undefined, message: [line, ...rest].join('\n'), subExceptions };
  return { line, type: typed[1], message: [typed[2] ?? '', ...rest].join('\n'), subExceptions };
}

/** For a traceback whose layout was changed (re-indented, say): its last line, when it reads as `Type: message`. */
function lastLineException(lines: readonly string[]): ParsedException | undefined {
  const line = [...lines].reverse().map((each) => each.replace(/^[ |+]*/, '')).find((each) => each !== '');
  const typed = line === undefined ? null : PYTHON_EXCEPTION_LINE.exec(line);
  if (line === undefined || typed === null) return undefined;
  return { line, type: typed[1], message: typed[2] ?? '', subExceptions: [] };
}

function lastOfChain(chain: readonly ParsedException[]): ParsedException | undefined {
  return chain[chain.length - 1];
}

/** The leaves of a group, depth-first in the order written, at most {@link MAX_LEAF_EXCEPTIONS}. */
function leavesOf(group: ParsedException, depth: number, leaves: LeafException[]): LeafException[] {
  for (const block of group.subExceptions) {
    if (leaves.length >= MAX_LEAF_EXCEPTIONS) break;
    const last = lastOfChain(parseLevel(block, depth + 1));
    if (last === undefined || ELIDED_GROUP_LINE.test(last.line)) continue;
    if (last.subExceptions.length > 0) {
      leavesOf(last, depth + 1, leaves);
    } else {
      const stacktrace = block.map((line) => (isOwnLine(line) ? line.slice(2) : line)).join('\n');
      leaves.push({ type: last.type, message: last.message, stacktrace });
    }
  }
  return leaves;
}

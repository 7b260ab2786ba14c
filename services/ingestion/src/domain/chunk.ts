import { AppError, type Chunk } from '@jitkb/shared';

/*
 * A recursive character splitter written here rather than taken from @langchain/textsplitters:
 * RecursiveCharacterTextSplitter returns strings only (its documents carry line numbers, not
 * character offsets), and it trims and re-joins pieces, so offsets could only be recovered by
 * searching for each chunk again, which is ambiguous for repeated text. Citations need
 * `text.slice(start, end) === chunk.text` exactly, so this splitter works on spans of the
 * original text and never builds a string it did not slice.
 */

/** Default chunk size in characters (UTF-16 code units, as `String.length` counts). */
export const DEFAULT_CHUNK_SIZE = 1000;
/** Default overlap between neighbouring chunks, in characters. */
export const DEFAULT_CHUNK_OVERLAP = 150;

export interface ChunkOptions {
  /** Largest chunk, in characters; a single code point is never split. */
  chunkSize?: number;
  /** Most characters a chunk repeats from the end of the one before it; below chunkSize. */
  chunkOverlap?: number;
}

interface Span {
  start: number;
  end: number;
}

/*
 * Boundaries from strongest to weakest. Each pattern matches a separator, which stays at the end
 * of the piece before it, so the pieces of a span are contiguous and cover it.
 */
const SEPARATORS: readonly RegExp[] = [
  /\n[^\S\n]*\n\s*/g, // a blank line: paragraphs
  /\n\s*/g, // lines
  /[.!?]+["'\u2019\u201d)\]]*\s+/g, // sentences
  /\s+/g, // words
];

/**
 * Splits text into overlapping chunks of at most `chunkSize` characters, preferring paragraph,
 * then line, then sentence, then word boundaries. Each chunk is `text.slice(start, end)`,
 * trimmed of surrounding whitespace; whitespace-only chunks are dropped. Every non-whitespace
 * character of the text is in at least one chunk.
 */
export function chunkText(text: string, options: ChunkOptions = {}): Chunk[] {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const chunkOverlap = options.chunkOverlap ?? DEFAULT_CHUNK_OVERLAP;
  validate(chunkSize, chunkOverlap);

  const pieces = splitSpan(text, { start: 0, end: text.length }, 0, chunkSize);
  const chunks: Chunk[] = [];
  let previous: Span | undefined;
  for (const window of mergePieces(pieces, chunkSize, chunkOverlap)) {
    const span = trimSpan(text, window);
    if (span.end <= span.start) continue;
    // A window whose only new piece was whitespace trims to a span the last chunk already holds.
    if (previous !== undefined && span.end <= previous.end) continue;
    // A window whose overlap was only whitespace trims to the last chunk's start: it supersedes it.
    if (previous !== undefined && span.start === previous.start) chunks.pop();
    chunks.push({
      text: text.slice(span.start, span.end),
      start: span.start,
      end: span.end,
      index: chunks.length,
    });
    previous = span;
  }
  return chunks;
}

function validate(chunkSize: number, chunkOverlap: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new AppError('invalid_input', 'chunkSize must be a positive integer');
  }
  if (!Number.isInteger(chunkOverlap) || chunkOverlap < 0 || chunkOverlap >= chunkSize) {
    throw new AppError('invalid_input', 'chunkOverlap must be an integer from 0 to chunkSize - 1');
  }
}

/**
 * Cuts a span into contiguous pieces no longer than chunkSize, using the strongest boundary that
 * occurs in it and going finer only for pieces that are still too long.
 */
function splitSpan(text: string, span: Span, level: number, chunkSize: number): Span[] {
  if (span.end - span.start <= chunkSize) return [span];
  const separator = SEPARATORS[level];
  if (separator === undefined) return splitCodePoints(text, span);

  const pieces = splitAt(text, span, separator);
  if (pieces.length === 1) return splitSpan(text, span, level + 1, chunkSize);
  return pieces.flatMap((piece) => splitSpan(text, piece, level + 1, chunkSize));
}

function splitAt(text: string, span: Span, separator: RegExp): Span[] {
  const pattern = new RegExp(separator.source, 'g');
  const region = text.slice(span.start, span.end);
  const pieces: Span[] = [];
  let start = span.start;
  for (let match = pattern.exec(region); match !== null; match = pattern.exec(region)) {
    const end = span.start + match.index + match[0].length;
    if (end > start) {
      pieces.push({ start, end });
      start = end;
    }
  }
  if (span.end > start) pieces.push({ start, end: span.end });
  return pieces;
}

/** The last resort for text without spaces; keeps surrogate pairs whole. */
function splitCodePoints(text: string, span: Span): Span[] {
  const pieces: Span[] = [];
  let start = span.start;
  while (start < span.end) {
    const codePoint = text.codePointAt(start) ?? 0;
    const end = Math.min(span.end, start + (codePoint > 0xffff ? 2 : 1));
    pieces.push({ start, end });
    start = end;
  }
  return pieces;
}

/**
 * Groups contiguous pieces into windows of at most chunkSize characters. A new window starts
 * with the last pieces of the one before, as many as fit in chunkOverlap, so that a sentence cut
 * at a boundary is still read with some of its context.
 */
function* mergePieces(pieces: Span[], chunkSize: number, chunkOverlap: number): Generator<Span> {
  const window: Span[] = [];
  let length = 0;
  for (const piece of pieces) {
    const size = piece.end - piece.start;
    if (window.length > 0 && length + size > chunkSize) {
      yield spanOf(window);
      while (window.length > 0 && (length > chunkOverlap || length + size > chunkSize)) {
        const dropped = window.shift();
        if (dropped !== undefined) length -= dropped.end - dropped.start;
      }
    }
    window.push(piece);
    length += size;
  }
  if (window.length > 0) yield spanOf(window);
}

function spanOf(window: Span[]): Span {
  const first = window[0];
  const last = window[window.length - 1];
  if (first === undefined || last === undefined)
    throw new AppError('internal', 'a chunk window cannot be empty');
  return { start: first.start, end: last.end };
}

function trimSpan(text: string, span: Span): Span {
  let { start, end } = span;
  while (start < end && isWhitespace(text.charCodeAt(start))) start += 1;
  while (end > start && isWhitespace(text.charCodeAt(end - 1))) end -= 1;
  return { start, end };
}

function isWhitespace(code: number): boolean {
  return /\s/.test(String.fromCharCode(code));
}

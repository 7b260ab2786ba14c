import type { RetrievedChunk, SourceView } from '@jitkb/shared';

/** Longest excerpt shown for a source, in characters. */
export const MAX_EXCERPT_CHARS = 300;

/** A passage as one line of at most MAX_EXCERPT_CHARS, cut at a word boundary. */
export function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= MAX_EXCERPT_CHARS) return flat;
  const cut = flat.slice(0, MAX_EXCERPT_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > MAX_EXCERPT_CHARS / 2 ? cut.slice(0, space) : cut}…`;
}

/** The chunks an answer used as API sources, each passage once. */
export function toSources(used: readonly RetrievedChunk[]): SourceView[] {
  const seen = new Set<string>();
  const sources: SourceView[] = [];
  for (const chunk of used) {
    const excerpt = excerptOf(chunk.text);
    const key = `${chunk.fileId}\u0000${excerpt}`;
    if (seen.has(key)) continue;
    seen.add(key);
    sources.push({ fileId: chunk.fileId, fileName: chunk.fileName, excerpt, score: chunk.score });
  }
  return sources;
}

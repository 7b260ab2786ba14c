import fc from 'fast-check';
import { AppError, type Chunk } from '@jitkb/shared';
import { chunkText, DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE } from '../src/domain/chunk';

/** Text built from the pieces the splitter cares about: words, spaces, sentences, paragraphs. */
const token = fc.oneof(
  fc.constantFrom(' ', '  ', '\n', '\n\n', '\r\n', '\t', '. ', '! ', '? ', '."\n', '😀', 'é'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
);
const documentText = fc.array(token, { maxLength: 300 }).map((tokens) => tokens.join(''));
const sizes = fc.integer({ min: 2, max: 200 }).chain((chunkSize) =>
  fc.record({
    chunkSize: fc.constant(chunkSize),
    chunkOverlap: fc.integer({ min: 0, max: chunkSize - 1 }),
  }),
);

function coveredIndexes(chunks: Chunk[]): Set<number> {
  const covered = new Set<number>();
  for (const chunk of chunks) {
    for (let i = chunk.start; i < chunk.end; i += 1) covered.add(i);
  }
  return covered;
}

describe('chunkText', () => {
  it('keeps offsets exact, covers every non-space character and respects the size', () => {
    fc.assert(
      fc.property(documentText, sizes, (text, options) => {
        const chunks = chunkText(text, options);
        const covered = coveredIndexes(chunks);
        chunks.forEach((chunk, i) => {
          expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
          expect(chunk.index).toBe(i);
          expect(chunk.text.trim()).not.toBe('');
          expect(chunk.text).toBe(chunk.text.trim());
          expect(chunk.end - chunk.start).toBeLessThanOrEqual(options.chunkSize);
        });
        for (let i = 0; i < text.length; i += 1) {
          if (!/\s/.test(text.charAt(i))) expect(covered.has(i)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('moves forward: each chunk starts and ends after the one before', () => {
    fc.assert(
      fc.property(documentText, sizes, (text, options) => {
        const chunks = chunkText(text, options);
        for (let i = 1; i < chunks.length; i += 1) {
          const previous = chunks[i - 1];
          const current = chunks[i];
          if (previous === undefined || current === undefined) throw new Error('missing chunk');
          expect(current.start).toBeGreaterThan(previous.start);
          expect(current.end).toBeGreaterThan(previous.end);
          // Overlap never reaches further back than chunkOverlap characters.
          expect(previous.end - current.start).toBeLessThanOrEqual(options.chunkOverlap);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('returns one chunk for a short text and none for whitespace', () => {
    expect(chunkText('  Hello world.  ')).toEqual([
      { text: 'Hello world.', start: 2, end: 14, index: 0 },
    ]);
    expect(chunkText(' \n\n\t ')).toEqual([]);
    expect(chunkText('')).toEqual([]);
  });

  it('cuts at paragraph boundaries before sentence or word boundaries', () => {
    const first = 'First paragraph has words. '.repeat(3).trim();
    const second = 'Second paragraph, also words. '.repeat(3).trim();
    const text = `${first}\n\n${second}`;
    const chunks = chunkText(text, { chunkSize: first.length + 10, chunkOverlap: 0 });
    expect(chunks.map((chunk) => chunk.text)).toEqual([first, second]);
  });

  it('cuts a long paragraph at sentence ends rather than inside sentences', () => {
    const sentences = ['The cat sat on the mat.', 'It was warm there!', 'Was it happy? Yes.'];
    const text = sentences.join(' ');
    const chunks = chunkText(text, { chunkSize: 30, chunkOverlap: 0 });
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      'The cat sat on the mat.',
      'It was warm there!',
      'Was it happy? Yes.',
    ]);
  });

  it('repeats the end of a chunk at the start of the next', () => {
    const text = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const chunks = chunkText(text, { chunkSize: 30, chunkOverlap: 10 });
    expect(chunks.length).toBeGreaterThan(2);
    for (let i = 1; i < chunks.length; i += 1) {
      const previous = chunks[i - 1];
      const current = chunks[i];
      if (previous === undefined || current === undefined) throw new Error('missing chunk');
      expect(current.start).toBeLessThan(previous.end);
      expect(previous.text.endsWith(text.slice(current.start, previous.end))).toBe(true);
    }
  });

  it('splits text without spaces and never separates a surrogate pair', () => {
    const text = '😀'.repeat(25);
    const chunks = chunkText(text, { chunkSize: 9, chunkOverlap: 0 });
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(text);
    for (const chunk of chunks) expect(chunk.text.length % 2).toBe(0);
  });

  it('uses about 1000 characters with 150 overlap by default', () => {
    expect(DEFAULT_CHUNK_SIZE).toBe(1000);
    expect(DEFAULT_CHUNK_OVERLAP).toBe(150);
    const text = 'lorem ipsum dolor sit amet '.repeat(200);
    const chunks = chunkText(text);
    expect(Math.max(...chunks.map((chunk) => chunk.text.length))).toBeLessThanOrEqual(1000);
    expect(chunks[0]?.text.length).toBeGreaterThan(900);
  });

  it.each([
    { chunkSize: 0, chunkOverlap: 0 },
    { chunkSize: 10.5, chunkOverlap: 0 },
    { chunkSize: 10, chunkOverlap: 10 },
    { chunkSize: 10, chunkOverlap: -1 },
  ])('rejects invalid sizes %o', (options) => {
    expect(() => chunkText('text', options)).toThrow(AppError);
  });
});

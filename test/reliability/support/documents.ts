/**
 * Documents for the suites: deterministic text of a few chunks, and vocabularies of made-up words
 * that occur in no other tenant's documents (so that a leak is unmistakable).
 */
import { seededRandom } from '@jitkb/shared/testing';

const SYLLABLES = ['ka', 'lo', 'mi', 'zu', 're', 'tan', 'vel', 'dor', 'qui', 'sep', 'yas', 'brin'];

/** `count` distinct made-up words starting with `prefix` (letters only, so BM25 keeps them). */
export function vocabulary(prefix: string, count: number, seed: number): string[] {
  const random = seededRandom(seed);
  const words = new Set<string>();
  while (words.size < count) {
    let word = prefix;
    const length = 2 + Math.floor(random() * 3);
    for (let i = 0; i < length; i += 1) {
      word += SYLLABLES[Math.floor(random() * SYLLABLES.length)] ?? 'ka';
    }
    words.add(word);
  }
  return [...words];
}

const FILLER = [
  'the',
  'harbour',
  'opens',
  'at',
  'six',
  'ships',
  'leave',
  'before',
  'noon',
  'and',
  'return',
  'with',
  'cargo',
  'from',
  'the',
  'northern',
  'islands',
];

/** Paragraphs of sentences mixing `words` with filler; about `chars` characters. */
export function documentText(words: readonly string[], seed: number, chars: number): string {
  const random = seededRandom(seed);
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)] ?? 'x';
  const paragraphs: string[] = [];
  let length = 0;
  while (length < chars) {
    const sentences: string[] = [];
    for (let s = 0; s < 4; s += 1) {
      const sentence: string[] = [];
      for (let w = 0; w < 12; w += 1) sentence.push(random() < 0.4 ? pick(words) : pick(FILLER));
      const text = sentence.join(' ');
      sentences.push(`${text.charAt(0).toUpperCase()}${text.slice(1)}.`);
    }
    const paragraph = sentences.join(' ');
    paragraphs.push(paragraph);
    length += paragraph.length + 2;
  }
  return `${paragraphs.join('\n\n')}\n`;
}

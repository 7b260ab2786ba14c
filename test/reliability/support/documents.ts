/**
 * Documents for the suites: deterministic text of a few chunks, and vocabularies of made-up words
 * that occur in no other tenant's documents (so that a leak is unmistakable).
 */

const SYLLABLES = ['ka', 'lo', 'mi', 'zu', 're', 'tan', 'vel', 'dor', 'qui', 'sep', 'yas', 'brin'];

/** A pseudo-random generator with a seed (mulberry32): the same seed, the same text. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct made-up words starting with `prefix` (letters only, so BM25 keeps them). */
export function vocabulary(prefix: string, count: number, seed: number): string[] {
  const random = seeded(seed);
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
  const random = seeded(seed);
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

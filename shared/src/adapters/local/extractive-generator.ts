import type { RetrievedChunk } from '../../ports/knowledge-base';
import {
  NO_ANSWER,
  type ChatTurn,
  type GenerateRequest,
  type GeneratedAnswer,
  type Generator,
} from '../../ports/generator';

// Words that carry no topic: a question and a passage sharing only these do not support each other.
const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being ' +
    'below between both but by can could did do does doing down during each few for from further ' +
    'had has have having he her here hers herself him himself his how i if in into is it its ' +
    'itself just me more most my myself no nor not now of off on once only or other our ours ' +
    'out over own same she should so some such than that the their theirs them themselves then ' +
    'there these they this those through to too under until up very was we were what when where ' +
    'which while who whom why will with would you your yours yourself also tell please know ' +
    'explain describe give much many may might must shall let get got one ever'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+/gu;
/** Sentence ends, and line breaks, which separate list items and headings. */
const SENTENCE_END = /(?<=[.!?])\s+|\n+/;

/** A crude suffix stripper, so that "covers", "covered" and "cover" count as one term. */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && /(ss|us|is)$/.test(word)) return word;
  if (word.length > 3 && word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/** The content words of a text: stem → the first surface form seen, in order of appearance. */
export function salientTerms(text: string): Map<string, string> {
  const terms = new Map<string, string>();
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const word = match[0];
    if (STOPWORDS.has(word) || (word.length < 2 && !/\d/.test(word))) continue;
    const key = stem(word);
    if (!terms.has(key)) terms.set(key, word);
  }
  return terms;
}

/**
 * The terms of the last exchange that a follow-up leaves implicit: the last question's first,
 * then the answer's most frequent ones; none already in `question`.
 */
export function historyTerms(
  question: string,
  history: readonly ChatTurn[],
  max = 8,
): Map<string, string> {
  const own = salientTerms(question);
  const lastUser = history.map((turn) => turn.role).lastIndexOf('user');
  if (lastUser < 0) return new Map();
  const picked = new Map<string, string>();
  const add = (key: string, word: string) => {
    if (picked.size < max && !own.has(key) && !picked.has(key)) picked.set(key, word);
  };
  for (const [key, word] of salientTerms(history[lastUser]?.text ?? '')) add(key, word);
  const answer = history.slice(lastUser + 1).find((turn) => turn.role === 'assistant');
  if (answer && answer.text.trim() !== NO_ANSWER) {
    const counts = new Map<string, { word: string; count: number }>();
    for (const match of answer.text.toLowerCase().matchAll(WORD)) {
      const word = match[0];
      if (STOPWORDS.has(word) || word.length < 3) continue;
      const key = stem(word);
      const seen = counts.get(key);
      counts.set(key, { word: seen?.word ?? word, count: (seen?.count ?? 0) + 1 });
    }
    const byFrequency = [...counts].sort((a, b) => b[1].count - a[1].count);
    for (const [key, { word }] of byFrequency) add(key, word);
  }
  return picked;
}

export interface ExtractiveGeneratorOptions {
  /** Most sentences in an answer (default 3). */
  maxSentences?: number;
  /**
   * Share of the question's own terms a sentence must contain to support an answer (default 0.3),
   * so that one incidental shared word does not make an unrelated passage an answer.
   */
  minCoverage?: number;
  /** Sentences scoring below this share of the best one are left out (default 0.7). */
  relativeCutoff?: number;
}

interface Candidate {
  text: string;
  chunk: RetrievedChunk;
  chunkRank: number;
  /** Offset of the sentence in the chunk's text. */
  offset: number;
  score: number;
}

/**
 * The offline generator: answers with the sentences of the retrieved chunks that share the most
 * terms with the question (and, for a follow-up, with the last exchange), and cites their chunks.
 * It never writes anything the sources do not say; with no supporting sentence it says NO_ANSWER.
 */
export class ExtractiveGenerator implements Generator {
  readonly name = 'extractive';
  private readonly maxSentences: number;
  private readonly minCoverage: number;
  private readonly relativeCutoff: number;

  constructor(options: ExtractiveGeneratorOptions = {}) {
    this.maxSentences = options.maxSentences ?? 3;
    this.minCoverage = options.minCoverage ?? 0.3;
    this.relativeCutoff = options.relativeCutoff ?? 0.7;
  }

  async generate(request: GenerateRequest): Promise<GeneratedAnswer> {
    const chosen = this.choose(request);
    if (chosen.length === 0) return { answer: NO_ANSWER, used: [] };
    return { answer: chosen.map((c) => c.text).join(' '), used: citedChunks(chosen) };
  }

  async *stream(request: GenerateRequest): AsyncGenerator<string, GeneratedAnswer> {
    const answer = await this.generate(request);
    // Word by word, whitespace kept, so that the pieces join back to the exact answer.
    for (const piece of answer.answer.match(/\S+\s*/g) ?? [answer.answer]) yield piece;
    return answer;
  }

  /** Appends the last exchange's salient terms, which retrieval needs to find a follow-up's topic. */
  async condense(question: string, history: readonly ChatTurn[]): Promise<string> {
    const extra = [...historyTerms(question, history).values()];
    return extra.length === 0 ? question : `${question} ${extra.join(' ')}`;
  }

  private choose(request: GenerateRequest): Candidate[] {
    let own = new Set(salientTerms(request.question).keys());
    let context = new Set(historyTerms(request.question, request.history).keys());
    if (own.size === 0) [own, context] = [context, new Set()];
    if (own.size === 0) return [];
    const candidates: Candidate[] = [];
    request.context.forEach((chunk, chunkRank) => {
      // The topic of a follow-up is judged on the whole passage: the sentence that answers often
      // does not repeat the subject that the sentence before it named.
      const chunkTerms = new Set(salientTerms(chunk.text).keys());
      const topicShare =
        context.size === 0
          ? 0
          : [...context].filter((t) => chunkTerms.has(t)).length / context.size;
      for (const { text, offset } of sentencesOf(chunk.text)) {
        const terms = new Set(salientTerms(text).keys());
        const ownHits = [...own].filter((term) => terms.has(term)).length;
        if (ownHits === 0 || ownHits / own.size < this.minCoverage) continue;
        // Rank breaks ties: retrieval already judged which chunk fits best.
        const score = ownHits * (1 + 2 * topicShare) - chunkRank * 0.01;
        candidates.push({ text, chunk, chunkRank, offset, score });
      }
    });
    candidates.sort((a, b) => b.score - a.score);
    const best = candidates[0]?.score ?? 0;
    const chosen = new Map<string, Candidate>();
    for (const candidate of candidates) {
      if (chosen.size === this.maxSentences || candidate.score < best * this.relativeCutoff) break;
      // Overlapping chunks repeat sentences; quote each once.
      if (!chosen.has(candidate.text)) chosen.set(candidate.text, candidate);
    }
    return [...chosen.values()];
  }
}

function sentencesOf(text: string): Array<{ text: string; offset: number }> {
  const sentences: Array<{ text: string; offset: number }> = [];
  let cursor = 0;
  for (const part of text.split(SENTENCE_END)) {
    const offset = text.indexOf(part, cursor);
    cursor = offset + part.length;
    const trimmed = part.trim();
    if (trimmed.length > 0)
      sentences.push({ text: trimmed, offset: offset + part.indexOf(trimmed) });
  }
  return sentences;
}

/**
 * The cited chunks, each narrowed to the span of its chosen sentences, so that a source's excerpt
 * is the passage the answer quotes rather than the whole chunk.
 */
function citedChunks(chosen: readonly Candidate[]): RetrievedChunk[] {
  const spans = new Map<number, { chunk: RetrievedChunk; from: number; to: number }>();
  for (const { chunk, chunkRank, offset, text } of chosen) {
    const span = spans.get(chunkRank);
    const end = offset + text.length;
    spans.set(chunkRank, {
      chunk,
      from: Math.min(span?.from ?? offset, offset),
      to: Math.max(span?.to ?? end, end),
    });
  }
  return [...spans.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, { chunk, from, to }]) => ({
      ...chunk,
      text: chunk.text.slice(from, to),
      start: chunk.start + from,
      end: chunk.start + to,
    }));
}

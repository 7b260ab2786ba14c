import {
  ExtractiveGenerator,
  historyTerms,
  salientTerms,
} from '../src/adapters/local/extractive-generator';
import { NO_ANSWER, type ChatTurn } from '../src/ports/generator';
import type { RetrievedChunk } from '../src/ports/knowledge-base';

function chunk(fileId: string, text: string, start = 0, score = 0.5): RetrievedChunk {
  return {
    text,
    score,
    fileId,
    fileName: `${fileId}.md`,
    index: 0,
    start,
    end: start + text.length,
  };
}

const kettle = chunk(
  'kettle',
  'The Zephyr kettle boils one litre in three minutes. The Zephyr kettle comes with a two-year ' +
    'warranty. The warranty does not cover limescale damage.',
  100,
);
const toaster = chunk(
  'toaster',
  'The Brava toaster has four slots. The Brava toaster warranty lasts one year. The warranty ' +
    'does not cover a bent crumb tray.',
);

describe('ExtractiveGenerator', () => {
  const generator = new ExtractiveGenerator();

  it('answers with the sentences sharing the question terms and cites their chunk', async () => {
    const result = await generator.generate({
      question: 'How long is the warranty on the Zephyr kettle?',
      context: [toaster, kettle],
      history: [],
    });
    expect(result.answer).toBe('The Zephyr kettle comes with a two-year warranty.');
    expect(result.used).toHaveLength(1);
    const [used] = result.used;
    expect(used?.fileId).toBe('kettle');
    // The cited passage is the quoted sentence, with offsets into the file's text.
    expect(used?.text).toBe('The Zephyr kettle comes with a two-year warranty.');
    expect(kettle.text.slice((used?.start ?? 0) - 100, (used?.end ?? 0) - 100)).toBe(used?.text);
  });

  it(`says exactly "${NO_ANSWER}" and cites nothing when no sentence supports an answer`, async () => {
    const result = await generator.generate({
      question: 'Who won the football world cup in 1998?',
      context: [kettle, toaster],
      history: [],
    });
    expect(result).toEqual({ answer: NO_ANSWER, used: [] });
  });

  it('does not answer on one incidental shared word among many question terms', async () => {
    const result = await generator.generate({
      question: 'What is the bank transfer fee for international payments in euros?',
      context: [chunk('f', 'International travel with a kettle is easy.')],
      history: [],
    });
    expect(result.answer).toBe(NO_ANSWER);
  });

  it('answers nothing from an empty context', async () => {
    await expect(
      generator.generate({ question: 'warranty?', context: [], history: [] }),
    ).resolves.toEqual({ answer: NO_ANSWER, used: [] });
  });

  it('prefers the sentence about the topic of the last exchange for a follow-up', async () => {
    const history: ChatTurn[] = [
      { role: 'user', text: 'How long is the warranty on the Zephyr kettle?' },
      { role: 'assistant', text: 'The Zephyr kettle comes with a two-year warranty.' },
    ];
    const result = await generator.generate({
      question: 'What does the warranty not cover?',
      context: [toaster, kettle],
      history,
    });
    expect(result.answer).toContain('limescale');
    expect(result.answer).not.toContain('crumb');
    expect(result.used.map((c) => c.fileId)).toEqual(['kettle']);
  });

  it('streams the answer in pieces that join to exactly the answer', async () => {
    const request = {
      question: 'How long is the warranty on the Zephyr kettle?',
      context: [kettle],
      history: [],
    };
    const stream = generator.stream(request);
    const pieces: string[] = [];
    let step = await stream.next();
    while (!step.done) {
      pieces.push(step.value);
      step = await stream.next();
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(step.value.answer);
    expect(step.value).toEqual(await generator.generate(request));
  });
});

describe('extractive condensing', () => {
  const generator = new ExtractiveGenerator();

  it('leaves a question without history unchanged', async () => {
    await expect(generator.condense('What about the lid?', [])).resolves.toBe(
      'What about the lid?',
    );
  });

  it('adds the salient terms of the last exchange, the last question first', async () => {
    const condensed = await generator.condense('Does it cover the heating element?', [
      { role: 'user', text: 'Tell me about the toaster.' },
      { role: 'assistant', text: 'The toaster has four slots.' },
      { role: 'user', text: 'How long is the warranty on the Zephyr kettle?' },
      { role: 'assistant', text: 'The Zephyr kettle comes with a two-year warranty.' },
    ]);
    expect(
      condensed.startsWith('Does it cover the heating element? long warranty zephyr kettle'),
    ).toBe(true);
    expect(condensed).not.toContain('toaster');
  });

  it('ignores an answer that was a refusal', () => {
    const terms = historyTerms('and then?', [
      { role: 'user', text: 'What is the kettle made of?' },
      { role: 'assistant', text: NO_ANSWER },
    ]);
    expect([...terms.values()]).toEqual(['kettle', 'made']);
  });

  it('counts inflections of a word as one term and skips stopwords', () => {
    expect([...salientTerms('The warranty covers what is covered by warranties').keys()]).toEqual([
      'warranty',
      'cover',
    ]);
  });
});

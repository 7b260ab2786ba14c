import {
  ftsMatchAny,
  queryTerms,
  reciprocalRankFusion,
  RRF_K,
  TopScores,
} from '../src/knowledge-base/ranking';

describe('queryTerms', () => {
  it('keeps words and numbers, lower-cased, without stop words or repeats', () => {
    expect(queryTerms('The IL-6 level of the Patients, and the IL-6 receptor?')).toEqual([
      'il',
      '6',
      'level',
      'patients',
      'receptor',
    ]);
  });

  it('keeps stop words when the question has nothing else', () => {
    expect(queryTerms('To be or not to be')).toEqual(['to', 'be', 'or', 'not']);
  });

  it('keeps letters outside ASCII', () => {
    expect(queryTerms('Größe café')).toEqual(['größe', 'café']);
  });
});

describe('ftsMatchAny', () => {
  it('quotes every term so that nothing reads as FTS5 syntax', () => {
    expect(ftsMatchAny('cats NEAR(dogs) OR "x" -y *', 'text')).toBe(
      'text:"cats" OR text:"near" OR text:"dogs" OR text:"x" OR text:"y"',
    );
  });

  it('has no expression for a question without words', () => {
    expect(ftsMatchAny('?!', 'text')).toBeUndefined();
  });
});

describe('reciprocalRankFusion', () => {
  it('ranks an item both lists agree on above items only one list has first', () => {
    const fused = reciprocalRankFusion([
      ['a', 'both'],
      ['b', 'both'],
    ]);
    expect(fused[0]!.id).toBe('both');
    expect(fused[0]!.score).toBeCloseTo(2 / (RRF_K + 2));
    expect(fused.map((hit) => hit.id).sort()).toEqual(['a', 'b', 'both']);
  });

  it('with one list keeps its order', () => {
    expect(reciprocalRankFusion([['x', 'y', 'z']]).map((hit) => hit.id)).toEqual(['x', 'y', 'z']);
  });

  it('lets the constant decide how much the top ranks dominate', () => {
    const lists = [
      ['a', 'c'],
      ['b', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'c'],
    ];
    expect(reciprocalRankFusion(lists, 1)[0]!.id).not.toBe('c');
    expect(reciprocalRankFusion(lists, 1000)[0]!.id).toBe('c');
  });
});

describe('TopScores', () => {
  const best = (entries: Array<{ id: number; score: number }>, n: number) => {
    const top = new TopScores(n);
    for (const { id, score } of entries) top.offer(id, score);
    return top.best();
  };

  it('returns the n best, best first', () => {
    const entries = [5, 1, 9, 3, 7, 2].map((score) => ({ id: score * 10, score }));
    expect(best(entries, 3)).toEqual([
      { id: 90, score: 9 },
      { id: 70, score: 7 },
      { id: 50, score: 5 },
    ]);
  });

  it('agrees with a full sort on random input', () => {
    const entries = Array.from({ length: 500 }, (_, i) => ({ id: i, score: Math.random() }));
    const expected = [...entries].sort((a, b) => b.score - a.score).slice(0, 37);
    expect(best(entries, 37)).toEqual(expected);
  });

  it('keeps the first offered of equal scores', () => {
    expect(
      best(
        [
          { id: 1, score: 0.5 },
          { id: 2, score: 0.5 },
        ],
        1,
      ),
    ).toEqual([{ id: 1, score: 0.5 }]);
  });

  it('returns everything when there are fewer than n, and nothing for n = 0', () => {
    expect(best([{ id: 1, score: 1 }], 5)).toHaveLength(1);
    expect(best([{ id: 1, score: 1 }], 0)).toEqual([]);
  });
});

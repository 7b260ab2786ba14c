import type { Define, Step } from '../support/define';
import { startRig, type Mode, type Rig } from '../support/rig';
import { timeLimit } from '../support/sizes';
import { describeBadInput } from './bad-input';
import { describeFaults } from './faults';
import { describeIsolation } from './isolation';
import { describeLimits } from './limits';
import { describeLoad } from './load';
import { describePoison } from './poison';
import { describeTokens } from './tokens';

const ALL_MODES: readonly Mode[] = ['embedded', 'aws'];

/** RELIABILITY_MODES=embedded (or aws) runs one family only; both by default. */
function modes(): Mode[] {
  const wanted = (process.env.RELIABILITY_MODES ?? '').split(',').filter(Boolean);
  return ALL_MODES.filter((mode) => wanted.length === 0 || wanted.includes(mode));
}

/**
 * Every reliability suite, each check run on a system of every adapter family at the same time
 * (one waits on moto while the other embeds): a failure names its family.
 */
export function describeReliability(): void {
  const rigs: Rig[] = [];

  beforeAll(async () => {
    const started = await Promise.allSettled(modes().map((mode) => startRig(mode)));
    for (const result of started) if (result.status === 'fulfilled') rigs.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }, 180_000);

  // A check that failed part-way may leave a service dead: the next one gets it back.
  afterEach(async () => {
    await Promise.all(rigs.map((rig) => rig.reviveAll()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(rigs.map((rig) => rig.close()));
  }, 60_000);

  const onEveryFamily = (step: Step) => async () => {
    if (rigs.length === 0) throw new Error('no system started');
    const results = await Promise.allSettled(rigs.map((rig) => step(rig)));
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected'
        ? [`[${rigs[i]?.mode}] ${(result.reason as Error)?.message ?? String(result.reason)}`]
        : [],
    );
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
  };
  const define: Define = (name, step, timeoutMs) =>
    it(name, onEveryFamily(step), timeLimit(timeoutMs));

  describe('tokens', () => describeTokens(define));
  describe('poison message', () => describePoison(define));
  describe('bad input', () => {
    describeBadInput(define);
    describeLimits(define);
  });
  describe('isolation', () => describeIsolation(define));
  describe('load', () => describeLoad(define));
  describe('faults', () => describeFaults(define));
}

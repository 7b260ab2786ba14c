import { startRig, type Mode, type Rig } from '../support/rig';
import { describeBadInput } from './bad-input';
import { describeFaults } from './faults';
import { describeIsolation } from './isolation';
import { describeLoad } from './load';
import { describePoison } from './poison';
import { describeTokens } from './tokens';

/** Every reliability suite on one system of the given adapter family. */
export function describeReliability(mode: Mode): void {
  describe(`reliability (${mode})`, () => {
    let rig: Rig | undefined;
    const getRig = () => {
      if (!rig) throw new Error('the system did not start');
      return rig;
    };

    beforeAll(async () => {
      rig = await startRig(mode);
    }, 120_000);

    // A suite that failed part-way may leave a service dead: the next one gets it back.
    afterEach(async () => {
      await rig?.reviveAll();
    }, 120_000);

    afterAll(async () => {
      await rig?.close();
    }, 60_000);

    describe('tokens', () => describeTokens(getRig));
    describe('poison message', () => describePoison(getRig));
    describe('bad input', () => describeBadInput(getRig));
    describe('isolation', () => describeIsolation(getRig));
    describe('load', () => describeLoad(getRig));
    describe('faults', () => describeFaults(getRig));
  });
}

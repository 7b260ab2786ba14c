/**
 * Reliability and security on both adapter families (embedded, and aws against moto's server
 * started by the jest global setup): faults, poison messages, bad input, tenant isolation, tokens
 * and load. The default is the subset for the normal test command; RELIABILITY_FULL=1 runs the
 * full sizes (scripts/reliability.ts) and RELIABILITY_MODES=embedded one family only.
 */
import { describeReliability } from './suites';

describe('reliability', () => {
  describeReliability();
});

/**
 * Reliability and security on the embedded adapters: faults, poison messages, bad input, tenant
 * isolation, tokens and load. RELIABILITY_FULL=1 runs them at full size (scripts/reliability.ts).
 */
import { describeReliability } from './suites';

describeReliability('embedded');

/**
 * Reliability and security on the aws adapters against moto's server (started by the jest global
 * setup): faults, poison messages, bad input, tenant isolation, tokens and load.
 * RELIABILITY_FULL=1 runs them at full size (scripts/reliability.ts).
 */
import { describeReliability } from './suites';

describeReliability('aws');

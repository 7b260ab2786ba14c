import type { Rig } from './rig';

/** One check of a suite, run on a system of one adapter family. */
export type Step = (rig: Rig) => Promise<void>;

/** Registers a step under a name, with its longest run time. */
export type Define = (name: string, step: Step, timeoutMs: number) => void;

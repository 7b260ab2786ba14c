/** What the simulation counts in each measured month. */
export interface WindowTally {
  /** Seconds from the start, both included. */
  from: number;
  to: number;
  /** Whether questions retrieve and probes run in this month. */
  checked: boolean;
  questions: number;
  /** Questions that retrieved through the filter, and their hits. */
  retrieved: number;
  hits: number;
  expiredHits: number;
  probes: number;
  probesWithChunks: number;
  ingests: number;
  expiries: number;
  /** Seconds from each expired file's ttl to the removal of its chunks. */
  lags: number[];
  /** Resident chunks by tier at the month's last sample. */
  jitByTier: Map<string, number>;
  alwaysOnByTier: Map<string, number>;
}

export interface Ledger {
  readonly windows: WindowTally[];
  /** The tally of the month that holds this time (seconds from the start), if any. */
  at(seconds: number): WindowTally | undefined;
  /** The tally of the checked month that holds this time, if any. */
  checkedAt(seconds: number): WindowTally | undefined;
  /** The tally of the month whose last sample is at this time, if any. */
  endingAt(seconds: number): WindowTally | undefined;
}

export function createLedger(
  months: ReadonlyArray<{ from: number; to: number; checked: boolean }>,
): Ledger {
  const windows = months.map(({ from, to, checked }): WindowTally => ({
    from,
    to,
    checked,
    questions: 0,
    retrieved: 0,
    hits: 0,
    expiredHits: 0,
    probes: 0,
    probesWithChunks: 0,
    ingests: 0,
    expiries: 0,
    lags: [],
    jitByTier: new Map(),
    alwaysOnByTier: new Map(),
  }));
  return {
    windows,
    at: (seconds) => windows.find((w) => w.from <= seconds && seconds <= w.to),
    checkedAt: (seconds) => windows.find((w) => w.checked && w.from <= seconds && seconds <= w.to),
    endingAt: (seconds) => windows.find((w) => w.to === seconds),
  };
}

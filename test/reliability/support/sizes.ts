/**
 * How big each reliability run is. The default is the subset that fits the normal test command;
 * RELIABILITY_FULL=1 (set by scripts/reliability.ts) gives the full-size runs. Both assert the same
 * properties.
 */
export const FULL = process.env.RELIABILITY_FULL === '1';

export const SIZES = FULL
  ? {
      /** Files queued when the ingestion process is killed. */
      ingestionFiles: 500,
      /** Files per chat, so that the queue holds several messages. */
      filesPerChat: 25,
      /** Concurrent clients while the gateway is killed, and the phases' lengths (ms). */
      gatewayClients: 8,
      gatewayPhasesMs: { before: 3000, outage: 3000, after: 5000 },
      /** Good messages published beside the poison one. */
      poisonGood: 50,
      /** Generated invalid requests per route. */
      fuzzRunsPerRoute: 150,
      /** Odd file and project names tried (the list has 31). */
      edgeNames: 100,
      /** Randomised retrievals by tenant B. */
      isolationProbes: 3000,
      loadTenants: 50,
      loadSeconds: 60,
    }
  : {
      ingestionFiles: 20,
      filesPerChat: 5,
      gatewayClients: 4,
      gatewayPhasesMs: { before: 700, outage: 700, after: 1000 },
      poisonGood: 10,
      fuzzRunsPerRoute: 20,
      edgeNames: 8,
      isolationProbes: 100,
      loadTenants: 10,
      loadSeconds: 5,
    };

export const RUN_LABEL = FULL ? 'full' : 'subset';

/** Time limits of the checks grow with their sizes. */
export const timeLimit = (subsetMs: number) => (FULL ? subsetMs * 10 : subsetMs);

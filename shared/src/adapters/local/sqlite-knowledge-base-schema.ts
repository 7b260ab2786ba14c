/*
 * The embedded knowledge base's tables and statements.
 *
 * kb_chunks holds every tenant's chunks; the (tenant_id, project_id, file_id) indexes are what
 * keep retrieval proportional to one project's live files however large the store grows.
 * The full-text index is split into KB_FTS_SHARDS external-content FTS5 tables over it,
 * kb_chunks_fts_0 onwards, kept in step by triggers on the shard each chunk stores: a project's
 * chunks all sit in one shard, chosen from its (tenant, project), so that a question reads one
 * shard and BM25 takes its term statistics from that shard rather than from every tenant's
 * chunks. Each shard's `scope` column holds one token per (tenant, project), so that a BM25 query
 * walks that project's postings only. kb_file_vectors holds each file's chunk vectors in one BLOB:
 * a file is always written whole, and the vector pass then reads one row per live file rather
 * than one per chunk.
 */

/** How many FTS5 tables the full-text index is split into. */
export const KB_FTS_SHARDS = 64;

export const KB_FTS_TOKENIZE = 'porter unicode61 remove_diacritics 2';

const SHARDS = Array.from({ length: KB_FTS_SHARDS }, (_, shard) => shard);

/** The FTS5 table of one shard. */
export function ftsTable(shard: number): string {
  if (!Number.isInteger(shard) || shard < 0 || shard >= KB_FTS_SHARDS) {
    throw new RangeError(`no full-text shard ${shard}`);
  }
  return `kb_chunks_fts_${shard}`;
}

function ftsShard(shard: number): string {
  const fts = ftsTable(shard);
  return `CREATE VIRTUAL TABLE IF NOT EXISTS ${fts} USING fts5 (
  scope, text,
  content = 'kb_chunks', content_rowid = 'id',
  tokenize = '${KB_FTS_TOKENIZE}'
);
CREATE TRIGGER IF NOT EXISTS ${fts}_ai AFTER INSERT ON kb_chunks WHEN new.shard = ${shard} BEGIN
  INSERT INTO ${fts} (rowid, scope, text) VALUES (new.id, new.scope, new.text);
END;
CREATE TRIGGER IF NOT EXISTS ${fts}_ad AFTER DELETE ON kb_chunks WHEN old.shard = ${shard} BEGIN
  INSERT INTO ${fts} (${fts}, rowid, scope, text) VALUES ('delete', old.id, old.scope, old.text);
END;
`;
}

/** One trigger for updates, so that the old row leaves its shard before the new one enters. */
const FTS_UPDATE_TRIGGER = `CREATE TRIGGER IF NOT EXISTS kb_chunks_fts_au AFTER UPDATE ON kb_chunks BEGIN
${SHARDS.map((shard) => {
  const fts = ftsTable(shard);
  return `  INSERT INTO ${fts} (${fts}, rowid, scope, text)
    SELECT 'delete', old.id, old.scope, old.text WHERE old.shard = ${shard};`;
}).join('\n')}
${SHARDS.map((shard) => {
  const fts = ftsTable(shard);
  return `  INSERT INTO ${fts} (rowid, scope, text)
    SELECT new.id, new.scope, new.text WHERE new.shard = ${shard};`;
}).join('\n')}
END;
`;

export const KB_SCHEMA = `
CREATE TABLE IF NOT EXISTS kb_embedders (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS kb_chunks (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  file_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  file_name TEXT NOT NULL,
  chunk_index INTEGER NOT NULL,
  start_offset INTEGER NOT NULL,
  end_offset INTEGER NOT NULL,
  scope TEXT NOT NULL,
  text TEXT NOT NULL,
  -- The full-text shard of (tenant_id, project_id).
  shard INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS kb_chunks_scope ON kb_chunks (tenant_id, project_id, file_id);
CREATE INDEX IF NOT EXISTS kb_chunks_file ON kb_chunks (file_id);
CREATE TABLE IF NOT EXISTS kb_file_vectors (
  file_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  embedder_id INTEGER NOT NULL REFERENCES kb_embedders (id),
  -- kb_chunks ids as Float64, one per vector, in the order of the vectors.
  chunk_ids BLOB NOT NULL,
  -- Float32 unit vectors, one after another.
  vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kb_file_vectors_scope
  ON kb_file_vectors (tenant_id, project_id, file_id);
${SHARDS.map(ftsShard).join('')}${FTS_UPDATE_TRIGGER}`;

/** The filter every read applies: one tenant, one project, the live files (a JSON array). */
function inScope(table: string): string {
  return `${table}.tenant_id = @tenant_id AND ${table}.project_id = @project_id
    AND ${table}.file_id IN (SELECT value FROM json_each(@file_ids))`;
}

export const KB_SQL = {
  insert: `INSERT INTO kb_chunks (tenant_id, project_id, file_id, user_id, file_name, chunk_index,
      start_offset, end_offset, scope, text, shard)
    VALUES (@tenant_id, @project_id, @file_id, @user_id, @file_name, @chunk_index,
      @start_offset, @end_offset, @scope, @text, @shard)`,
  insertVectors: `INSERT INTO kb_file_vectors
      (file_id, tenant_id, project_id, embedder_id, chunk_ids, vectors)
    VALUES (@file_id, @tenant_id, @project_id, @embedder_id, @chunk_ids, @vectors)`,
  deleteFile: `DELETE FROM kb_chunks WHERE file_id = ?`,
  deleteFileVectors: `DELETE FROM kb_file_vectors WHERE file_id = ?`,
  deleteFiles: `DELETE FROM kb_chunks WHERE file_id IN (SELECT value FROM json_each(?))`,
  deleteFilesVectors: `DELETE FROM kb_file_vectors WHERE file_id IN (SELECT value FROM json_each(?))`,
  countFile: `SELECT count(*) AS n FROM kb_chunks WHERE file_id = ?`,
  insertEmbedder: `INSERT OR IGNORE INTO kb_embedders (key) VALUES (?)`,
  embedderByKey: `SELECT id FROM kb_embedders WHERE key = ?`,
  staleVectors: `SELECT count(*) AS n FROM kb_file_vectors WHERE embedder_id IS NOT ?`,
  vectors: `SELECT chunk_ids, vectors FROM kb_file_vectors
    WHERE ${inScope('kb_file_vectors')} AND embedder_id = @embedder_id`,
  // Which of these chunk ids pass the filter.
  inScopeIds: `SELECT id FROM kb_chunks WHERE id IN (SELECT value FROM json_each(@ids))
    AND +tenant_id = @tenant_id AND +project_id = @project_id
    AND +file_id IN (SELECT value FROM json_each(@file_ids))`,
  // The filter again: another process may have replaced a file, and its chunks' rowids been
  // reused, between the ranking and this read. Unary + keeps the planner on the rowids (at most
  // k of them) instead of the scope index with every live file.
  chunksById: `SELECT id, text, file_id, file_name, chunk_index, start_offset, end_offset
    FROM kb_chunks WHERE id IN (SELECT value FROM json_each(@ids))
    AND +tenant_id = @tenant_id AND +project_id = @project_id
    AND +file_id IN (SELECT value FROM json_each(@file_ids))`,
  /** Every (tenant, project) that has chunks, read from the scope index alone. */
  scopes: `SELECT DISTINCT tenant_id, project_id FROM kb_chunks`,
  setShard: `UPDATE kb_chunks SET shard = @shard
    WHERE tenant_id = @tenant_id AND project_id = @project_id`,
} as const;

/** The statements on one full-text shard. */
export const KB_FTS_SQL = {
  // Column weights 0 and 1: the scope token narrows the match but adds nothing to the score.
  keyword: (shard: number) => {
    const fts = ftsTable(shard);
    return `SELECT c.id AS id FROM ${fts} JOIN kb_chunks c ON c.id = ${fts}.rowid
    WHERE ${fts} MATCH @match AND ${inScope('c')}
    ORDER BY bm25(${fts}, 0.0, 1.0) LIMIT @limit`;
  },
  // The project's best matches by BM25, before the file filter (`keywordTop` then `inScopeIds`).
  keywordTop: (shard: number) => {
    const fts = ftsTable(shard);
    return `SELECT rowid FROM ${fts} WHERE ${fts} MATCH @match
    ORDER BY bm25(${fts}, 0.0, 1.0) LIMIT @limit`;
  },
  // Indexes one (tenant, project)'s chunks in its shard, for a shard that does not hold them yet.
  index: (shard: number) => `INSERT INTO ${ftsTable(shard)} (rowid, scope, text)
    SELECT id, scope, text FROM kb_chunks WHERE tenant_id = @tenant_id AND project_id = @project_id
    ORDER BY id`,
} as const;

/**
 * A store written before the full-text index was sharded has one kb_chunks_fts table and three
 * triggers on it, and no shard column. `KB_LEGACY_FTS` finds it; `KB_LEGACY_DROP` removes them,
 * after which each (tenant, project) gets its shard (`setShard`) and is indexed there (`index`).
 */
export const KB_LEGACY_FTS = `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kb_chunks_fts'`;

export const KB_LEGACY_DROP = `
DROP TRIGGER IF EXISTS kb_chunks_ai;
DROP TRIGGER IF EXISTS kb_chunks_ad;
DROP TRIGGER IF EXISTS kb_chunks_au;
DROP TABLE kb_chunks_fts;
`;

export const KB_ADD_SHARD = `ALTER TABLE kb_chunks ADD COLUMN shard INTEGER NOT NULL DEFAULT 0`;

/** How an embedder is recognised across restarts: vectors of another model are not comparable. */
export function embedderKey(name: string, dimensions: number): string {
  return `${name}/${dimensions}`;
}

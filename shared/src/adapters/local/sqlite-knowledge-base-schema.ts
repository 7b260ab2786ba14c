/*
 * The embedded knowledge base's tables and statements.
 *
 * kb_chunks holds every tenant's chunks; the (tenant_id, project_id, file_id) indexes are what
 * keep retrieval proportional to one project's live files however large the store grows.
 * kb_chunks_fts is an external-content FTS5 index over it, kept in step by triggers. Its `scope`
 * column holds one token per (tenant, project), so that a BM25 query walks that project's postings
 * only. kb_file_vectors holds each file's chunk vectors in one BLOB: a file is always written whole,
 * and the vector pass then reads one row per live file rather than one per chunk.
 */

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
  text TEXT NOT NULL
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
CREATE VIRTUAL TABLE IF NOT EXISTS kb_chunks_fts USING fts5 (
  scope, text,
  content = 'kb_chunks', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS kb_chunks_ai AFTER INSERT ON kb_chunks BEGIN
  INSERT INTO kb_chunks_fts (rowid, scope, text) VALUES (new.id, new.scope, new.text);
END;
CREATE TRIGGER IF NOT EXISTS kb_chunks_ad AFTER DELETE ON kb_chunks BEGIN
  INSERT INTO kb_chunks_fts (kb_chunks_fts, rowid, scope, text)
  VALUES ('delete', old.id, old.scope, old.text);
END;
CREATE TRIGGER IF NOT EXISTS kb_chunks_au AFTER UPDATE ON kb_chunks BEGIN
  INSERT INTO kb_chunks_fts (kb_chunks_fts, rowid, scope, text)
  VALUES ('delete', old.id, old.scope, old.text);
  INSERT INTO kb_chunks_fts (rowid, scope, text) VALUES (new.id, new.scope, new.text);
END;
`;

/** The filter every read applies: one tenant, one project, the live files (a JSON array). */
function inScope(table: string): string {
  return `${table}.tenant_id = @tenant_id AND ${table}.project_id = @project_id
    AND ${table}.file_id IN (SELECT value FROM json_each(@file_ids))`;
}

export const KB_SQL = {
  insert: `INSERT INTO kb_chunks (tenant_id, project_id, file_id, user_id, file_name, chunk_index,
      start_offset, end_offset, scope, text)
    VALUES (@tenant_id, @project_id, @file_id, @user_id, @file_name, @chunk_index,
      @start_offset, @end_offset, @scope, @text)`,
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
  // Column weights 0 and 1: the scope token narrows the match but adds nothing to the score.
  keyword: `SELECT c.id AS id FROM kb_chunks_fts JOIN kb_chunks c ON c.id = kb_chunks_fts.rowid
    WHERE kb_chunks_fts MATCH @match AND ${inScope('c')}
    ORDER BY bm25(kb_chunks_fts, 0.0, 1.0) LIMIT @limit`,
  // The project's best matches by BM25, before the file filter (`keywordTop` then `inScopeIds`).
  keywordTop: `SELECT rowid FROM kb_chunks_fts WHERE kb_chunks_fts MATCH @match
    ORDER BY bm25(kb_chunks_fts, 0.0, 1.0) LIMIT @limit`,
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
} as const;

/** How an embedder is recognised across restarts: vectors of another model are not comparable. */
export function embedderKey(name: string, dimensions: number): string {
  return `${name}/${dimensions}`;
}

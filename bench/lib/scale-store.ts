/*
 * Builds the local knowledge base's SQLite file for a scale spec with the knowledge base's own
 * schema and insert statements, writing each file as its ingest does, then its full-text shards
 * one (tenant, project) at a time: one transaction, prepared statements, no journal (a failed build
 * leaves only a temporary file). The result is cached under .data/bench, keyed by the schema, the
 * statements and the data version, so that a second run reuses it and a store of an older schema
 * is built again. The latency benchmark checks that every retrieve answers k hits, so a builder
 * that no longer matches the knowledge base fails loudly.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { indexAllChunks, scopeOf } from '../../shared/src/adapters/local/sqlite-knowledge-base';
import {
  embedderKey,
  ftsTable,
  KB_FTS_SHARDS,
  KB_FTS_SQL,
  KB_SCHEMA,
  KB_SQL,
} from '../../shared/src/adapters/local/sqlite-knowledge-base-schema';
import type { BenchContext } from './context';
import { SCALE_DATA_VERSION, scaleRows, type ScaleRow, type ScaleSpec } from './scale-data';
import { DIMENSIONS, sha256, SyntheticEmbedder } from './synthetic';

function bytesOf(array: Float32Array | Float64Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

export interface BuiltStore {
  path: string;
  cached: boolean;
  seconds: number;
  bytes: number;
}

export function storeKey(spec: ScaleSpec): string {
  return sha256(
    KB_SCHEMA,
    KB_SQL.insert,
    KB_SQL.insertVectors,
    KB_FTS_SQL.index(0),
    String(SCALE_DATA_VERSION),
    String(spec.total),
    String(spec.projectChunks),
  ).slice(0, 16);
}

export async function buildScaleStore(context: BenchContext, spec: ScaleSpec): Promise<BuiltStore> {
  const dir = context.scale === 'smoke' ? context.tempDir : context.cacheDir;
  const file = path.join(dir, `kb-${spec.total}-${storeKey(spec)}.db`);
  if (existsSync(file)) return { path: file, cached: true, seconds: 0, bytes: statSync(file).size };

  // Stores of this size built for an older schema or data version are never read again.
  for (const stale of readdirSync(dir)) {
    if (stale.startsWith(`kb-${spec.total}-`)) rmSync(path.join(dir, stale), { force: true });
  }
  const tmp = `${file}.building`;
  rmSync(tmp, { force: true });
  const start = performance.now();
  const db = new Database(tmp);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1048576');
    db.exec(KB_SCHEMA);
    // The full-text shards are built after the bulk insert, each (tenant, project) in one
    // statement, instead of row by row through the insert triggers: the same index, so BM25
    // answers and scores are identical. The triggers are put back at the end, so that the store
    // is the knowledge base's own.
    for (let shard = 0; shard < KB_FTS_SHARDS; shard++) {
      db.exec(`DROP TRIGGER ${ftsTable(shard)}_ai`);
    }
    const embedder = new SyntheticEmbedder();
    const key = embedderKey(embedder.name, embedder.dimensions);
    db.prepare(KB_SQL.insertEmbedder).run(key);
    const { id: embedderId } = db.prepare(KB_SQL.embedderByKey).get(key) as { id: number };
    const insert = db.prepare(KB_SQL.insert);
    const insertVectors = db.prepare(KB_SQL.insertVectors);
    const scopes = new Map<string, { token: string; shard: number }>();
    const report = Math.max(1, Math.floor(spec.total / 10));
    let n = 0;
    // As SqliteKnowledgeBase.ingest writes a file: its chunks, then one row of all its vectors.
    const writeFile = (rows: ScaleRow[]) => {
      const first = rows[0]!;
      const scopeKey = `${first.tenantId}\u0000${first.projectId}`;
      let scope = scopes.get(scopeKey);
      if (scope === undefined) {
        scope = scopeOf(first.tenantId, first.projectId);
        scopes.set(scopeKey, scope);
      }
      const ids = rows.map((row) => {
        const offset = row.index * 700;
        return Number(
          insert.run({
            tenant_id: row.tenantId,
            project_id: row.projectId,
            user_id: 'u',
            file_id: row.fileId,
            file_name: `${row.fileId}.txt`,
            chunk_index: row.index,
            start_offset: offset,
            end_offset: offset + row.text.length,
            scope: scope.token,
            text: row.text,
            shard: scope.shard,
          }).lastInsertRowid,
        );
      });
      const vectors = new Float32Array(rows.length * DIMENSIONS);
      rows.forEach((row, i) => vectors.set(row.vector, i * DIMENSIONS));
      insertVectors.run({
        file_id: first.fileId,
        tenant_id: first.tenantId,
        project_id: first.projectId,
        embedder_id: embedderId,
        chunk_ids: bytesOf(Float64Array.from(ids)),
        vectors: bytesOf(vectors),
      });
    };
    db.transaction(() => {
      let file: ScaleRow[] = [];
      for (const row of scaleRows(spec)) {
        if (file.length > 0 && file[0]!.fileId !== row.fileId) {
          writeFile(file);
          file = [];
        }
        file.push(row);
        if (++n % report === 0) {
          context.say(
            `latency: building ${spec.total} chunks: ${n} (${((performance.now() - start) / 1000).toFixed(0)} s)`,
          );
        }
      }
      if (file.length > 0) writeFile(file);
      indexAllChunks(db);
      db.exec(KB_SCHEMA);
    })();
    db.close();
  } catch (error) {
    if (db.open) db.close();
    rmSync(tmp, { force: true });
    throw error;
  }
  renameSync(tmp, file);
  return {
    path: file,
    cached: false,
    seconds: (performance.now() - start) / 1000,
    bytes: statSync(file).size,
  };
}

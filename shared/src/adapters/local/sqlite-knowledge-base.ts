import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { ftsMatchAny, reciprocalRankFusion, RRF_K, TopScores } from '../../knowledge-base/ranking';
import { AppError } from '../../errors/app-error';
import type { Logger } from '../../logging/logger';
import type { Embedder } from '../../ports/embedder';
import type {
  KnowledgeBase,
  KnowledgeBaseDocument,
  RetrievalFilter,
  RetrievedChunk,
  RetrieveOptions,
} from '../../ports/knowledge-base';
import {
  embedderKey,
  KB_ADD_SHARD,
  KB_FTS_SHARDS,
  KB_FTS_SQL,
  KB_LEGACY_DROP,
  KB_LEGACY_FTS,
  KB_SCHEMA,
  KB_SQL,
} from './sqlite-knowledge-base-schema';

/** Which rankers `retrieve` fuses. */
export type SearchMode = 'hybrid' | 'bm25' | 'dense';

export interface SqliteKnowledgeBaseOptions {
  /** The SQLite database file (':memory:' for a private in-memory store). */
  path: string;
  /** Embeds chunks and questions; without one the store searches with BM25 alone. */
  embedder?: Embedder;
  log: Logger;
  /** Default `hybrid` (BM25 alone when there is no embedder). */
  mode?: SearchMode;
  /** How many chunks each ranker passes to the fusion; at least `k`. Default 100. */
  candidates?: number;
  /** The reciprocal rank fusion constant. Default RRF_K (20). */
  rrfK?: number;
  /** How long a writer waits for another process's lock. Default 10 s. */
  busyTimeoutMs?: number;
  /** How much of the database file SQLite may memory-map (0: none). Default 2 GiB. */
  mmapBytes?: number;
}

const DEFAULT_K = 10;

/**
 * How many more BM25 matches than candidates are ranked before the file filter: a project's
 * chunks of files that are no longer live are few (the janitor removes them), so twice as many
 * nearly always leaves enough.
 */
const KEYWORD_OVERFETCH = 2;

interface ChunkRow {
  id: number;
  text: string;
  file_id: string;
  file_name: string;
  chunk_index: number;
  start_offset: number;
  end_offset: number;
}

/**
 * The embedded knowledge base: chunks and their metadata in SQLite, an FTS5 index (BM25, Porter
 * stemming) and each chunk's vector as a Float32 BLOB. Retrieval filters first (tenant, project,
 * live files, through an index), then ranks only those chunks by exact cosine and by BM25 and
 * fuses the two rankings with reciprocal rank fusion. Exact search over one project's live files
 * is both faster and more accurate than an approximate index over every tenant's chunks.
 */
export class SqliteKnowledgeBase implements KnowledgeBase {
  private readonly db: Database.Database;
  private readonly embedder: Embedder | undefined;
  private readonly mode: SearchMode;
  private readonly embedderId: number | undefined;
  private readonly statements: Record<keyof typeof KB_SQL, Database.Statement>;
  private readonly dimensions: number;
  /** Each full-text shard's ranking statements, prepared on its first question. */
  private readonly shardStatements: Array<{
    keyword: Database.Statement;
    top: Database.Statement;
  }> = [];

  constructor(private readonly options: SqliteKnowledgeBaseOptions) {
    this.db = new Database(options.path);
    this.db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 10_000)}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Vector BLOBs span overflow pages, which SQLite reads past its page cache with one read
    // call per page: mapping the file lets the vector pass read them without system calls.
    // SQLite caps the size at its compile-time limit (2 GiB in better-sqlite3's build).
    this.db.pragma(`mmap_size = ${Math.trunc(options.mmapBytes ?? 2 ** 31)}`);
    if (this.db.prepare(KB_LEGACY_FTS).get() !== undefined) {
      this.write(() => migrateLegacyFullText(this.db), true);
    }
    this.db.exec(KB_SCHEMA);
    this.statements = Object.fromEntries(
      Object.entries(KB_SQL).map(([name, sql]) => [name, this.db.prepare(sql)]),
    ) as Record<keyof typeof KB_SQL, Database.Statement>;
    // Rows as arrays: the vector pass reads one per live file on every question.
    this.statements.vectors.raw(true);
    this.statements.inScopeIds.pluck(true);
    this.embedder = options.embedder;
    this.mode = options.embedder ? (options.mode ?? 'hybrid') : 'bm25';
    if (options.mode === 'dense' && !options.embedder) {
      throw AppError.invalid('dense search needs an embedder');
    }
    this.embedderId = this.embedder ? this.registerEmbedder(this.embedder) : undefined;
    this.dimensions = this.embedder?.dimensions ?? 0;
  }

  async ingest(document: KnowledgeBaseDocument): Promise<{ chunks: number }> {
    const { metadata, chunks } = document;
    for (const key of ['tenantId', 'projectId', 'userId', 'fileId'] as const) {
      if (metadata[key].length === 0) throw AppError.invalid(`chunk metadata needs ${key}`);
    }
    // Embedding is the slow part: it runs before the write transaction, which stays short.
    const vectors = this.embedder
      ? await this.embedder.embedDocuments(chunks.map((chunk) => chunk.text))
      : undefined;
    const { token: scope, shard } = scopeOf(metadata.tenantId, metadata.projectId);
    this.write(() => {
      this.statements.deleteFile.run(metadata.fileId);
      this.statements.deleteFileVectors.run(metadata.fileId);
      const ids = chunks.map((chunk) =>
        Number(
          this.statements.insert.run({
            tenant_id: metadata.tenantId,
            project_id: metadata.projectId,
            user_id: metadata.userId,
            file_id: metadata.fileId,
            file_name: metadata.fileName,
            chunk_index: chunk.index,
            start_offset: chunk.start,
            end_offset: chunk.end,
            scope,
            text: chunk.text,
            shard,
          }).lastInsertRowid,
        ),
      );
      if (vectors && vectors.length !== ids.length) {
        throw new AppError('internal', 'the embedder returned a vector count unlike the chunks');
      }
      if (vectors && ids.length > 0) {
        this.statements.insertVectors.run({
          file_id: metadata.fileId,
          tenant_id: metadata.tenantId,
          project_id: metadata.projectId,
          embedder_id: this.embedderId,
          chunk_ids: bytesOf(Float64Array.from(ids)),
          vectors: bytesOf(packVectors(vectors, this.dimensions)),
        });
      }
    });
    return { chunks: chunks.length };
  }

  async delete(fileIds: readonly string[]): Promise<void> {
    if (fileIds.length === 0) return;
    const list = JSON.stringify(fileIds);
    this.write(() => {
      this.statements.deleteFiles.run(list);
      this.statements.deleteFilesVectors.run(list);
    });
  }

  async countChunks(fileId: string): Promise<number> {
    const row = this.read(() => this.statements.countFile.get(fileId)) as { n: number };
    return row.n;
  }

  async retrieve(
    query: string,
    filter: RetrievalFilter,
    options: RetrieveOptions = {},
  ): Promise<RetrievedChunk[]> {
    const k = options.k ?? DEFAULT_K;
    if (filter.fileIds.length === 0 || k <= 0 || query.trim().length === 0) return [];
    const depth = Math.max(k, this.options.candidates ?? 100);
    const scope = {
      tenant_id: filter.tenantId,
      project_id: filter.projectId,
      file_ids: JSON.stringify(filter.fileIds),
    };
    const lists: number[][] = [];
    if (this.mode !== 'dense') lists.push(this.keywordRanking(query, scope, depth));
    if (this.mode !== 'bm25') lists.push(await this.vectorRanking(query, scope, depth));
    const fused = reciprocalRankFusion(lists, this.options.rrfK ?? RRF_K).slice(0, k);
    if (fused.length === 0) return [];
    const rows = this.read(
      () =>
        this.statements.chunksById.all({
          ...scope,
          ids: JSON.stringify(fused.map((hit) => hit.id)),
        }) as ChunkRow[],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return fused.flatMap(({ id, score }) => {
      const row = byId.get(id);
      // A chunk deleted between the ranking and this read is simply left out.
      return row ? [toRetrieved(row, score)] : [];
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /**
   * BM25 over the filtered chunks, in the project's full-text shard, whose chunks alone give the
   * terms' statistics; the scope token lets FTS5 skip other projects' postings in it. The
   * project's best matches are ranked first, without the file filter, and then checked against
   * it: joining every match to its row costs more than ranking them. Only when too few of them
   * belong to live files does the query run again with the filter on every match.
   */
  private keywordRanking(query: string, scope: Scope, depth: number): number[] {
    const terms = ftsMatchAny(query, 'text');
    if (terms === undefined) return [];
    const { token, shard } = scopeOf(scope.tenant_id, scope.project_id);
    const match = `scope:"${token}" AND (${terms})`;
    return this.read(() => {
      const statements = this.shard(shard);
      const limit = depth * KEYWORD_OVERFETCH;
      const ranked = statements.top.all({ match, limit }) as number[];
      const live = new Set(
        this.statements.inScopeIds.all({ ...scope, ids: JSON.stringify(ranked) }) as number[],
      );
      const kept = ranked.filter((id) => live.has(id));
      if (kept.length >= depth || ranked.length < limit) return kept.slice(0, depth);
      const rows = statements.keyword.all({ ...scope, match, limit: depth });
      return (rows as Array<{ id: number }>).map((row) => row.id);
    });
  }

  private shard(shard: number): { keyword: Database.Statement; top: Database.Statement } {
    let statements = this.shardStatements[shard];
    if (statements === undefined) {
      statements = {
        keyword: this.db.prepare(KB_FTS_SQL.keyword(shard)),
        top: this.db.prepare(KB_FTS_SQL.keywordTop(shard)).pluck(true),
      };
      this.shardStatements[shard] = statements;
    }
    return statements;
  }

  /** Exact cosine (dot product of unit vectors) over the filtered chunks only. */
  private async vectorRanking(query: string, scope: Scope, depth: number): Promise<number[]> {
    if (!this.embedder) return [];
    const q = await this.embedder.embedQuery(query);
    const d = q.length;
    return this.read(() => {
      const top = new TopScores(depth);
      const rows = this.statements.vectors.iterate({
        ...scope,
        embedder_id: this.embedderId,
      }) as IterableIterator<[Buffer, Buffer]>;
      for (const [idBlob, vectorBlob] of rows) {
        const ids = viewOf(idBlob, Float64Array);
        const vectors = viewOf(vectorBlob, Float32Array);
        for (let i = 0, offset = 0; i < ids.length; i++, offset += d) {
          top.offer(ids[i]!, dot(q, vectors, offset));
        }
      }
      return top.best().map((hit) => hit.id);
    });
  }

  private registerEmbedder(embedder: Embedder): number {
    const key = embedderKey(embedder.name, embedder.dimensions);
    return this.write(() => {
      this.statements.insertEmbedder.run(key);
      const row = this.statements.embedderByKey.get(key) as { id: number };
      const stale = this.statements.staleVectors.get(row.id) as { n: number };
      if (stale.n > 0) {
        this.options.log.warn(
          { embedder: key, files: stale.n },
          'files embedded by another model are searched by BM25 only until they are ingested again',
        );
      }
      return row.id;
    });
  }

  private read<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw wrap(error, 'reading the knowledge base failed');
    }
  }

  private write<T>(work: () => T, opening = false): T {
    try {
      return this.db.transaction(work).immediate();
    } catch (error) {
      throw wrap(
        error,
        opening ? 'opening the knowledge base failed' : 'writing the knowledge base failed',
      );
    }
  }
}

interface Scope {
  tenant_id: string;
  project_id: string;
  file_ids: string;
}

/**
 * One FTS5 token per (tenant, project): digits only, so that neither the unicode61 tokenizer nor
 * the Porter stemmer alters it. It only narrows the search; the SQL filter still decides. `shard`
 * is the full-text shard of its chunks, from other bits of the same digest.
 */
export function scopeOf(tenantId: string, projectId: string): { token: string; shard: number } {
  const digest = createHash('sha256').update(`${tenantId}\u0000${projectId}`).digest();
  return {
    token: `${digest.readBigUInt64BE(0)}${digest.readBigUInt64BE(8)}`,
    shard: digest.readUInt32BE(16) % KB_FTS_SHARDS,
  };
}

/**
 * Indexes every chunk in its shard, one (tenant, project) at a time through the scope index: for
 * a store whose shards are empty, such as one written in bulk with the insert triggers dropped.
 */
export function indexAllChunks(db: Database.Database): void {
  const scopes = db.prepare(KB_SQL.scopes).all() as Array<{
    tenant_id: string;
    project_id: string;
  }>;
  const statements = new Map<number, Database.Statement>();
  for (const scope of scopes) {
    const { shard } = scopeOf(scope.tenant_id, scope.project_id);
    let index = statements.get(shard);
    if (index === undefined) {
      index = db.prepare(KB_FTS_SQL.index(shard));
      statements.set(shard, index);
    }
    index.run(scope);
  }
}

/**
 * Moves a store of the unsharded full-text index onto the shards, within the caller's transaction:
 * the old table and its triggers go, each chunk gets its (tenant, project)'s shard, and the shards
 * are built from kb_chunks. Another process may have done it while this one waited for the lock.
 */
function migrateLegacyFullText(db: Database.Database): void {
  if (db.prepare(KB_LEGACY_FTS).get() === undefined) return;
  db.exec(KB_LEGACY_DROP);
  const columns = db.pragma('table_info(kb_chunks)') as Array<{ name: string }>;
  if (!columns.some((column) => column.name === 'shard')) db.exec(KB_ADD_SHARD);
  const scopes = db.prepare(KB_SQL.scopes).all() as Array<{
    tenant_id: string;
    project_id: string;
  }>;
  const setShard = db.prepare(KB_SQL.setShard);
  for (const scope of scopes) {
    setShard.run({ ...scope, shard: scopeOf(scope.tenant_id, scope.project_id).shard });
  }
  db.exec(KB_SCHEMA);
  indexAllChunks(db);
}

function toRetrieved(row: ChunkRow, score: number): RetrievedChunk {
  return {
    text: row.text,
    score,
    fileId: row.file_id,
    fileName: row.file_name,
    index: row.chunk_index,
    start: row.start_offset,
    end: row.end_offset,
  };
}

/**
 * The dot product of `q` with the vector at `offset` in `vectors`. Unrolled by four, which V8
 * runs nearly twice as fast as the plain loop; the terms are still added one by one in order, so
 * the sum is exactly the plain loop's.
 */
function dot(q: Float32Array, vectors: Float32Array, offset: number): number {
  const n = q.length;
  let sum = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const at = offset + i;
    sum += q[i]! * vectors[at]!;
    sum += q[i + 1]! * vectors[at + 1]!;
    sum += q[i + 2]! * vectors[at + 2]!;
    sum += q[i + 3]! * vectors[at + 3]!;
  }
  for (; i < n; i++) sum += q[i]! * vectors[offset + i]!;
  return sum;
}

/**
 * A typed array over the BLOB's bytes: a view when its offset is aligned for the element type
 * (better-sqlite3 copies each BLOB into a Buffer of its own, so it nearly always is), else a copy.
 */
function viewOf<T extends Float32Array | Float64Array>(
  blob: Buffer,
  type: {
    new (buffer: ArrayBuffer, byteOffset?: number, length?: number): T;
    BYTES_PER_ELEMENT: number;
  },
): T {
  const length = Math.floor(blob.length / type.BYTES_PER_ELEMENT);
  if (blob.byteOffset % type.BYTES_PER_ELEMENT === 0) {
    return new type(blob.buffer as ArrayBuffer, blob.byteOffset, length);
  }
  const copy = new ArrayBuffer(blob.length);
  new Uint8Array(copy).set(blob);
  return new type(copy, 0, length);
}

function bytesOf(array: Float32Array | Float64Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** One file's vectors back to back, checked against the embedder's dimensions. */
function packVectors(vectors: readonly Float32Array[], dimensions: number): Float32Array {
  const packed = new Float32Array(vectors.length * dimensions);
  vectors.forEach((vector, i) => {
    if (vector.length !== dimensions) {
      throw new AppError('internal', `the embedder returned ${vector.length} dimensions`);
    }
    packed.set(vector, i * dimensions);
  });
  return packed;
}

function wrap(error: unknown, message: string): AppError {
  if (error instanceof AppError) return error;
  const code = error instanceof Database.SqliteError ? error.code : '';
  const busy = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
  return new AppError(busy ? 'unavailable' : 'internal', message, {
    cause: error,
    retryable: busy,
  });
}

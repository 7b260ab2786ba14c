import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  ftsTable,
  KB_FTS_SHARDS,
  KB_FTS_TOKENIZE,
} from '../src/adapters/local/sqlite-knowledge-base-schema';
import { scopeOf, SqliteKnowledgeBase } from '../src/adapters/local/sqlite-knowledge-base';
import { buildRetrievalFilter } from '../src/knowledge-base/filter';
import { ftsMatchAny } from '../src/knowledge-base/ranking';
import { createLogger } from '../src/logging/logger';
import { seededRandom } from '../src/testing/random';
import type { Chunk } from '../src/ports';

const log = createLogger({ service: 'test', level: 'silent' });
const FAR = Math.floor(Date.now() / 1000) + 3600;
/** Words of unequal frequency, so that their idf and the chunks' lengths differ. */
const WORDS = Array.from({ length: 40 }, (_, i) => `w${i.toString(36)}ord`);
const QUESTIONS = [
  'w1ord w7ord',
  'w3ord',
  'w0ord w2ord w9ord',
  'waord wbord wcord',
  'w5ord w15ord',
];

function chunksOf(seed: number, count: number): Chunk[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const length = 4 + Math.floor(next() * 20);
    const words = Array.from({ length }, () => WORDS[Math.floor(next() ** 2 * WORDS.length)]!);
    const text = words.join(' ');
    return { text, start: index * 100, end: index * 100 + text.length, index };
  });
}

function filterFor(tenantId: string, projectId: string, fileIds: readonly string[]) {
  return buildRetrievalFilter(
    { tenantId, userId: 'u1', email: undefined, tier: 'free' },
    projectId,
    fileIds.map((fileId) => ({ fileId, ttl: FAR })),
  );
}

async function ingestProject(
  kb: SqliteKnowledgeBase,
  tenantId: string,
  projectId: string,
  files: number,
  seed: number,
): Promise<string[]> {
  const fileIds = Array.from({ length: files }, (_, i) => `${tenantId}-${projectId}-f${i}`);
  for (const [i, fileId] of fileIds.entries()) {
    await kb.ingest({
      metadata: { tenantId, projectId, userId: 'u1', fileId, fileName: `${fileId}.txt` },
      chunks: chunksOf(seed + i, 15),
    });
  }
  return fileIds;
}

/** A project of `tenantId` whose chunks go to another shard than `shard`. */
function projectOutside(tenantId: string, shard: number): string {
  for (let i = 0; ; i++) {
    if (scopeOf(tenantId, `p${i}`).shard !== shard) return `p${i}`;
  }
}

/**
 * Every shard's index is consistent and holds exactly the postings of the chunks that kb_chunks
 * assigns to it, as an index built afresh from those chunks does. (FTS5's own check against the
 * content table would expect every chunk in every shard.)
 */
function expectShardsIntact(db: Database.Database): void {
  db.exec(`CREATE VIRTUAL TABLE temp.reference USING fts5 (
    scope, text, tokenize = '${KB_FTS_TOKENIZE}');
    CREATE VIRTUAL TABLE temp.reference_postings USING fts5vocab (temp, reference, instance);`);
  try {
    for (let shard = 0; shard < KB_FTS_SHARDS; shard++) {
      const fts = ftsTable(shard);
      db.prepare(`INSERT INTO ${fts} (${fts}, rank) VALUES ('integrity-check', 0)`).run();
      db.exec(`DELETE FROM temp.reference;
        INSERT INTO temp.reference (rowid, scope, text)
          SELECT id, scope, text FROM kb_chunks WHERE shard = ${shard};
        CREATE VIRTUAL TABLE temp.postings USING fts5vocab (main, ${fts}, instance);`);
      try {
        const postings = (table: string) =>
          db.prepare(`SELECT term, doc, col, offset FROM ${table} ORDER BY 1, 2, 3, 4`).all();
        expect(postings('temp.postings')).toEqual(postings('temp.reference_postings'));
      } finally {
        db.exec('DROP TABLE temp.postings');
      }
    }
  } finally {
    db.exec('DROP TABLE temp.reference_postings; DROP TABLE temp.reference;');
  }
}

/** How many chunks of (tenantId, projectId) its shard indexes. */
function projectRows(db: Database.Database, tenantId: string, projectId: string): number {
  const { token, shard } = scopeOf(tenantId, projectId);
  const fts = ftsTable(shard);
  const row = db
    .prepare(`SELECT count(*) AS n FROM ${fts} WHERE ${fts} MATCH ?`)
    .get(`scope:"${token}"`);
  return (row as { n: number }).n;
}

/** How many chunks a shard indexes. */
function shardRows(db: Database.Database, shard: number): number {
  const fts = ftsTable(shard);
  return (db.prepare(`SELECT count(*) AS n FROM ${fts}_docsize`).get() as { n: number }).n;
}

/** The knowledge base's schema before the full-text index was split into shards. */
const LEGACY_SCHEMA = `
CREATE TABLE kb_embedders (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE kb_chunks (
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
CREATE INDEX kb_chunks_scope ON kb_chunks (tenant_id, project_id, file_id);
CREATE INDEX kb_chunks_file ON kb_chunks (file_id);
CREATE TABLE kb_file_vectors (
  file_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  embedder_id INTEGER NOT NULL REFERENCES kb_embedders (id),
  chunk_ids BLOB NOT NULL,
  vectors BLOB NOT NULL
);
CREATE INDEX kb_file_vectors_scope ON kb_file_vectors (tenant_id, project_id, file_id);
CREATE VIRTUAL TABLE kb_chunks_fts USING fts5 (
  scope, text,
  content = 'kb_chunks', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER kb_chunks_ai AFTER INSERT ON kb_chunks BEGIN
  INSERT INTO kb_chunks_fts (rowid, scope, text) VALUES (new.id, new.scope, new.text);
END;
CREATE TRIGGER kb_chunks_ad AFTER DELETE ON kb_chunks BEGIN
  INSERT INTO kb_chunks_fts (kb_chunks_fts, rowid, scope, text)
  VALUES ('delete', old.id, old.scope, old.text);
END;
CREATE TRIGGER kb_chunks_au AFTER UPDATE ON kb_chunks BEGIN
  INSERT INTO kb_chunks_fts (kb_chunks_fts, rowid, scope, text)
  VALUES ('delete', old.id, old.scope, old.text);
  INSERT INTO kb_chunks_fts (rowid, scope, text) VALUES (new.id, new.scope, new.text);
END;
`;

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jitkb-kb-shards-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteKnowledgeBase full-text shards', () => {
  it('ranks a store of one project exactly as one unsharded FTS5 index of its chunks', async () => {
    const file = path.join(dir, 'kb.db');
    const kb = new SqliteKnowledgeBase({ path: file, log, mode: 'bm25', candidates: 40 });
    const db = new Database(file);
    try {
      const fileIds = await ingestProject(kb, 't1', 'p1', 12, 1);
      db.exec(`CREATE VIRTUAL TABLE reference USING fts5 (
        scope, text, content = 'kb_chunks', content_rowid = 'id', tokenize = '${KB_FTS_TOKENIZE}');
        INSERT INTO reference (reference) VALUES ('rebuild');`);
      const { token, shard } = scopeOf('t1', 'p1');
      const fts = ftsTable(shard);
      const ranked = (table: string) =>
        db.prepare(`SELECT rowid AS id, bm25(${table}, 0.0, 1.0) AS score FROM ${table}
          WHERE ${table} MATCH ? ORDER BY bm25(${table}, 0.0, 1.0) LIMIT 40`);
      const chunk = db.prepare('SELECT file_id, chunk_index FROM kb_chunks WHERE id = ?');
      for (const question of QUESTIONS) {
        const match = `scope:"${token}" AND (${ftsMatchAny(question, 'text')})`;
        const expected = ranked('reference').all(match) as Array<{ id: number; score: number }>;
        expect(expected.length).toBe(40);
        // The same scores, not only the same order: the shard's statistics are the whole store's.
        expect(ranked(fts).all(match)).toEqual(expected);
        const hits = await kb.retrieve(question, filterFor('t1', 'p1', fileIds), { k: 40 });
        expect(hits.map((hit) => `${hit.fileId}#${hit.index}`)).toEqual(
          expected.map(({ id }) => {
            const row = chunk.get(id) as { file_id: string; chunk_index: number };
            return `${row.file_id}#${row.chunk_index}`;
          }),
        );
      }
    } finally {
      db.close();
      await kb.close();
    }
  });

  it("scores a project's chunks alike whatever other shards hold", async () => {
    const file = path.join(dir, 'kb.db');
    const kb = new SqliteKnowledgeBase({ path: file, log, mode: 'bm25' });
    const db = new Database(file, { readonly: true });
    try {
      const fileIds = await ingestProject(kb, 't1', 'p1', 4, 1);
      const { token, shard } = scopeOf('t1', 'p1');
      const fts = ftsTable(shard);
      const scores = () =>
        QUESTIONS.map((question) =>
          db
            .prepare(
              `SELECT rowid AS id, bm25(${fts}, 0.0, 1.0) AS score FROM ${fts}
                WHERE ${fts} MATCH ? ORDER BY bm25(${fts}, 0.0, 1.0)`,
            )
            .all(`scope:"${token}" AND (${ftsMatchAny(question, 'text')})`),
        );
      const alone = scores();
      const before = await kb.retrieve('w1ord w7ord', filterFor('t1', 'p1', fileIds));
      const other = projectOutside('t1', shard);
      await ingestProject(kb, 't1', other, 8, 100);
      await ingestProject(kb, 't2', projectOutside('t2', shard), 8, 200);
      expect(shardRows(db, shard)).toBe(4 * 15);
      expect(scores()).toEqual(alone);
      expect(await kb.retrieve('w1ord w7ord', filterFor('t1', 'p1', fileIds))).toEqual(before);
      // The other projects answer from their own shards, and only with their own chunks.
      const hits = await kb.retrieve('w1ord', filterFor('t1', other, [`t1-${other}-f0`]));
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.every((hit) => hit.fileId === `t1-${other}-f0`)).toBe(true);
    } finally {
      db.close();
      await kb.close();
    }
  });

  it('keeps each shard in step with replaced, deleted and updated chunks', async () => {
    const file = path.join(dir, 'kb.db');
    const kb = new SqliteKnowledgeBase({ path: file, log, mode: 'bm25' });
    const db = new Database(file);
    try {
      const p1 = await ingestProject(kb, 't1', 'p1', 3, 1);
      const other = projectOutside('t1', scopeOf('t1', 'p1').shard);
      const p2 = await ingestProject(kb, 't1', other, 3, 50);
      await kb.ingest({
        metadata: { tenantId: 't1', projectId: 'p1', userId: 'u1', fileId: p1[0]!, fileName: 'a' },
        chunks: chunksOf(999, 5),
      });
      await kb.delete([p1[1]!, p2[0]!]);
      expectShardsIntact(db);
      expect(projectRows(db, 't1', 'p1')).toBe(5 + 15);
      expect(projectRows(db, 't1', other)).toBe(2 * 15);

      // An update moves a chunk's postings, within its shard or to another one.
      const id = (
        db.prepare('SELECT min(id) AS id FROM kb_chunks WHERE file_id = ?').get(p2[1]) as {
          id: number;
        }
      ).id;
      db.prepare(`UPDATE kb_chunks SET text = 'zzunique' WHERE id = ?`).run(id);
      expectShardsIntact(db);
      const hits = await kb.retrieve('zzunique', filterFor('t1', other, p2));
      expect(hits.map((hit) => [hit.fileId, hit.index])).toEqual([[p2[1], 0]]);
      const moved = scopeOf('t1', 'p1');
      db.prepare(
        `UPDATE kb_chunks SET project_id = 'p1', scope = ?, shard = ?, file_id = ? WHERE id = ?`,
      ).run(moved.token, moved.shard, p1[2], id);
      expectShardsIntact(db);
      expect(await kb.retrieve('zzunique', filterFor('t1', other, p2))).toEqual([]);
      expect(
        (await kb.retrieve('zzunique', filterFor('t1', 'p1', p1))).map((hit) => hit.fileId),
      ).toEqual([p1[2]]);

      // And the check above does tell: a chunk indexed in a shard other than its own.
      const stray = ftsTable((moved.shard + 1) % KB_FTS_SHARDS);
      db.prepare(`INSERT INTO ${stray} (rowid, scope, text) VALUES (?, ?, 'zzunique')`).run(
        id,
        moved.token,
      );
      expect(() => expectShardsIntact(db)).toThrow();
    } finally {
      db.close();
      await kb.close();
    }
  });

  it('moves a store of the unsharded index onto the shards when it opens', async () => {
    const legacyFile = path.join(dir, 'legacy.db');
    const freshFile = path.join(dir, 'fresh.db');
    const projects = [
      ['t1', 'p1'],
      ['t1', 'p2'],
      ['t2', 'p1'],
    ] as const;
    const legacy = new Database(legacyFile);
    const insert = legacy.exec(LEGACY_SCHEMA).prepare(
      `INSERT INTO kb_chunks (tenant_id, project_id, file_id, user_id, file_name, chunk_index,
        start_offset, end_offset, scope, text)
      VALUES (?, ?, ?, 'u1', ?, ?, ?, ?, ?, ?)`,
    );
    const fresh = new SqliteKnowledgeBase({ path: freshFile, log, mode: 'bm25' });
    for (const [n, [tenantId, projectId]] of projects.entries()) {
      for (let i = 0; i < 3; i++) {
        const fileId = `${tenantId}-${projectId}-f${i}`;
        const chunks = chunksOf(n * 10 + i, 15);
        for (const chunk of chunks) {
          insert.run(
            tenantId,
            projectId,
            fileId,
            `${fileId}.txt`,
            chunk.index,
            chunk.start,
            chunk.end,
            scopeOf(tenantId, projectId).token,
            chunk.text,
          );
        }
        await fresh.ingest({
          metadata: { tenantId, projectId, userId: 'u1', fileId, fileName: `${fileId}.txt` },
          chunks,
        });
      }
    }
    legacy.close();

    const kb = new SqliteKnowledgeBase({ path: legacyFile, log, mode: 'bm25' });
    const db = new Database(legacyFile);
    try {
      const names = (db.prepare('SELECT name FROM sqlite_master').pluck().all() as string[]).filter(
        (name) => name.startsWith('kb_chunks_fts') || name.startsWith('kb_chunks_a'),
      );
      for (const gone of ['kb_chunks_fts', 'kb_chunks_ai', 'kb_chunks_ad', 'kb_chunks_au']) {
        expect(names).not.toContain(gone);
      }
      expect(names).toContain(ftsTable(KB_FTS_SHARDS - 1));
      expectShardsIntact(db);
      const rows = db.prepare('SELECT tenant_id, project_id, shard FROM kb_chunks').all() as Array<{
        tenant_id: string;
        project_id: string;
        shard: number;
      }>;
      expect(rows.every((row) => row.shard === scopeOf(row.tenant_id, row.project_id).shard)).toBe(
        true,
      );

      for (const [tenantId, projectId] of projects) {
        const fileIds = [0, 1, 2].map((i) => `${tenantId}-${projectId}-f${i}`);
        for (const question of QUESTIONS) {
          const filter = filterFor(tenantId, projectId, fileIds);
          const hits = await kb.retrieve(question, filter, { k: 20 });
          expect(hits.length).toBeGreaterThan(0);
          expect(hits).toEqual(await fresh.retrieve(question, filter, { k: 20 }));
        }
      }

      // Written to after the move, and opened again: nothing left to move.
      await kb.delete(['t1-p1-f0']);
      await kb.ingest({
        metadata: {
          tenantId: 't1',
          projectId: 'p1',
          userId: 'u1',
          fileId: 't1-p1-f1',
          fileName: 'b',
        },
        chunks: chunksOf(777, 4),
      });
      expectShardsIntact(db);
      const again = new SqliteKnowledgeBase({ path: legacyFile, log, mode: 'bm25' });
      try {
        const filter = filterFor('t1', 'p1', ['t1-p1-f1', 't1-p1-f2']);
        expect(await again.retrieve('w1ord', filter)).toEqual(await kb.retrieve('w1ord', filter));
        expect(projectRows(db, 't1', 'p1')).toBe(4 + 15);
      } finally {
        await again.close();
      }
    } finally {
      db.close();
      await kb.close();
      await fresh.close();
    }
  });
});

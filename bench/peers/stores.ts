/*
 * The peers, used as their documentation shows, behind one small interface: LangChain.js's
 * MemoryVectorStore (dense search with a filter function) and Orama (BM25, vector or hybrid
 * search with a where filter). Both receive the same chunks, vectors and filter as the local
 * knowledge base, and answer with the file id of each hit, best first.
 */
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { create, insertMultiple, search, type AnyOrama } from '@orama/orama';

export interface PeerDoc {
  id: string;
  text: string;
  tenantId: string;
  projectId: string;
  fileId: string;
  vector: Float32Array;
}

export interface PeerQuery {
  text: string;
  vector: Float32Array;
  tenantId: string;
  projectId: string;
  /** The live files; a Set for the filter function, an array for Orama's `in`. */
  fileIds: readonly string[];
  fileIdSet: ReadonlySet<string>;
  k: number;
}

export type PeerMode = 'bm25' | 'dense' | 'hybrid';

export interface PeerStore {
  readonly name: string;
  readonly modes: readonly PeerMode[];
  add(docs: readonly PeerDoc[]): Promise<void>;
  search(query: PeerQuery, mode: PeerMode): Promise<string[]>;
}

/** MemoryVectorStore needs an Embeddings object; every vector here is given, so it never runs. */
const noEmbeddings: EmbeddingsInterface = {
  embedQuery: () => Promise.reject(new Error('vectors are given')),
  embedDocuments: () => Promise.reject(new Error('vectors are given')),
};

export function createMemoryVectorStore(): PeerStore {
  const store = new MemoryVectorStore(noEmbeddings);
  return {
    name: 'LangChain.js MemoryVectorStore',
    modes: ['dense'],
    async add(docs) {
      await store.addVectors(
        // number[], as a LangChain Embeddings returns them.
        docs.map((doc) => Array.from(doc.vector)),
        docs.map((doc) => ({
          id: doc.id,
          pageContent: doc.text,
          metadata: { tenantId: doc.tenantId, projectId: doc.projectId, fileId: doc.fileId },
        })),
      );
    },
    async search(query) {
      const hits = await store.similaritySearchVectorWithScore(
        Array.from(query.vector),
        query.k,
        (doc: { metadata: Record<string, unknown> }) =>
          doc.metadata.tenantId === query.tenantId &&
          doc.metadata.projectId === query.projectId &&
          query.fileIdSet.has(doc.metadata.fileId as string),
      );
      return hits.map(([doc]) => doc.metadata.fileId as string);
    },
  };
}

function oramaSchema(dimensions: number) {
  return {
    text: 'string',
    tenantId: 'enum',
    projectId: 'enum',
    fileId: 'enum',
    embedding: `vector[${dimensions}]`,
  } as const;
}

/**
 * The stop words jitkb's BM25 drops (Lucene's English list, see knowledge-base/ranking.ts). Orama
 * has none by default, and it matches query words as prefixes, so "a" or "in" would match most of
 * the vocabulary: nDCG@10 on SciFact is 0.21 without them and 0.36 with them.
 */
const STOP_WORDS = (
  'a an and are as at be but by for if in into is it no not of on or such that the their then ' +
  'there these they this to was will with'
).split(' ');

export function createOrama(dimensions: number): PeerStore {
  const db: AnyOrama = create({
    schema: oramaSchema(dimensions),
    components: { tokenizer: { stemming: true, stopWords: STOP_WORDS } },
  });
  return {
    name: 'Orama',
    modes: ['bm25', 'hybrid', 'dense'],
    async add(docs) {
      await insertMultiple(
        db,
        docs.map((doc) => ({
          id: doc.id,
          text: doc.text,
          tenantId: doc.tenantId,
          projectId: doc.projectId,
          fileId: doc.fileId,
          // number[], as the schema validation requires.
          embedding: Array.from(doc.vector),
        })),
        1000,
      );
    },
    async search(query, mode) {
      const where = {
        tenantId: { eq: query.tenantId },
        projectId: { eq: query.projectId },
        fileId: { in: [...query.fileIds] },
      };
      const vector = { value: Array.from(query.vector), property: 'embedding' };
      // similarity 0: keep every filtered chunk as a candidate, as the other stores do.
      const params =
        mode === 'bm25'
          ? { term: query.text, where, limit: query.k }
          : mode === 'dense'
            ? { mode: 'vector' as const, vector, where, limit: query.k, similarity: 0 }
            : {
                mode: 'hybrid' as const,
                term: query.text,
                vector,
                where,
                limit: query.k,
                similarity: 0,
              };
      const result = await search(db, params);
      return result.hits.map((hit) => String(hit.document.fileId));
    },
  };
}

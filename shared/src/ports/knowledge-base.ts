/** Metadata every chunk carries; the retrieval filter matches on it. */
export interface ChunkMetadata {
  tenantId: string;
  projectId: string;
  userId: string;
  fileId: string;
  fileName: string;
}

/** One piece of a file's text, with where it sits in the extracted text (for citations). */
export interface Chunk {
  text: string;
  /** Character offsets into the file's extracted text. */
  start: number;
  end: number;
  /** Position of the chunk in its file, from 0. */
  index: number;
}

export interface KnowledgeBaseDocument {
  metadata: ChunkMetadata;
  chunks: Chunk[];
  /** Where the source object is stored (the Bedrock adapter ingests from S3). */
  objectKey?: string;
  contentType?: string;
}

/*
 * A type-only symbol: it has no value at run time and is not exported, so no object literal can
 * carry the brand. Only `buildRetrievalFilter` asserts it, after checking its inputs.
 */
declare const retrievalFilterBrand: unique symbol;

/**
 * The only way to say what retrieval may see. Built by `buildRetrievalFilter` in
 * `knowledge-base/filter.ts`, so that no caller can leave out the tenant.
 */
export interface RetrievalFilter {
  readonly tenantId: string;
  readonly projectId: string;
  /** The live files of the chat; an empty list matches nothing. */
  readonly fileIds: readonly string[];
  readonly [retrievalFilterBrand]: true;
}

export interface RetrievedChunk {
  text: string;
  score: number;
  fileId: string;
  fileName: string;
  index: number;
  start: number;
  end: number;
}

export interface RetrieveOptions {
  k?: number;
}

/** The knowledge base: local hybrid search, or Amazon Bedrock Knowledge Bases. */
export interface KnowledgeBase {
  /** Adds a file's chunks, replacing any earlier chunks of the same file (idempotent). */
  ingest(document: KnowledgeBaseDocument): Promise<{ chunks: number }>;
  /** Removes every chunk of these files; unknown ids are ignored. */
  delete(fileIds: readonly string[]): Promise<void>;
  retrieve(
    query: string,
    filter: RetrievalFilter,
    options?: RetrieveOptions,
  ): Promise<RetrievedChunk[]>;
  /** How many chunks a file has (tests and idempotency checks). */
  countChunks(fileId: string): Promise<number>;
  close?(): Promise<void>;
}

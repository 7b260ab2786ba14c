import type {
  DocumentIdentifier,
  KnowledgeBaseDocument as BedrockDocument,
} from '@aws-sdk/client-bedrock-agent';
import type { KnowledgeBaseRetrievalResult } from '@aws-sdk/client-bedrock-agent-runtime';
import { AppError } from '../../errors/app-error';
import { BEDROCK_METADATA_KEYS } from '../../knowledge-base/filter';
import type { Chunk, ChunkMetadata, RetrievedChunk } from '../../ports/knowledge-base';

/*
 * How chunks look as Bedrock documents: one inline text document per chunk, its metadata the
 * tenant, project, user and file (what retrieval filters on) and where the chunk sits in its file
 * (what citations need).
 */

/** Bedrock's limits for one IngestKnowledgeBaseDocuments / DeleteKnowledgeBaseDocuments call. */
export const MAX_DOCUMENTS_PER_REQUEST = 25;
export const MAX_BYTES_PER_REQUEST = 6 * 1024 * 1024;
/** Room for the JSON around the texts and the metadata of each document. */
const REQUEST_OVERHEAD_BYTES = 64 * 1024;
/** Retrieve's numberOfResults maximum. */
export const MAX_RESULTS = 100;

/** The chunk documents' extra metadata: where each chunk sits in its file, for citations. */
const CHUNK_KEYS = { index: 'chunkIndex', start: 'chunkStart', end: 'chunkEnd' } as const;

/** A chunk's document id in the data source; file ids are unique across tenants. */
export function chunkDocumentId(fileId: string, index: number): string {
  return `${fileId}#${index}`;
}

export function identifier(id: string): DocumentIdentifier {
  return { dataSourceType: 'CUSTOM', custom: { id } };
}

export function toBedrockDocument(metadata: ChunkMetadata, chunk: Chunk): BedrockDocument {
  const text = (key: string, value: string) => ({
    key,
    value: { type: 'STRING' as const, stringValue: value },
  });
  const number = (key: string, value: number) => ({
    key,
    value: { type: 'NUMBER' as const, numberValue: value },
  });
  return {
    content: {
      dataSourceType: 'CUSTOM',
      custom: {
        customDocumentIdentifier: { id: chunkDocumentId(metadata.fileId, chunk.index) },
        sourceType: 'IN_LINE',
        inlineContent: { type: 'TEXT', textContent: { data: chunk.text } },
      },
    },
    metadata: {
      type: 'IN_LINE_ATTRIBUTE',
      inlineAttributes: [
        text(BEDROCK_METADATA_KEYS.tenantId, metadata.tenantId),
        text(BEDROCK_METADATA_KEYS.projectId, metadata.projectId),
        text(BEDROCK_METADATA_KEYS.userId, metadata.userId),
        text(BEDROCK_METADATA_KEYS.fileId, metadata.fileId),
        text(BEDROCK_METADATA_KEYS.fileName, metadata.fileName),
        number(CHUNK_KEYS.index, chunk.index),
        number(CHUNK_KEYS.start, chunk.start),
        number(CHUNK_KEYS.end, chunk.end),
      ],
    },
  };
}

/** Splits documents into requests within Bedrock's count and size limits, in order. */
export function batchDocuments(documents: readonly BedrockDocument[]): BedrockDocument[][] {
  const limit = MAX_BYTES_PER_REQUEST - REQUEST_OVERHEAD_BYTES;
  const batches: BedrockDocument[][] = [];
  let current: BedrockDocument[] = [];
  let bytes = 0;
  for (const document of documents) {
    const size = Buffer.byteLength(JSON.stringify(document));
    if (size > limit) throw AppError.invalid('a chunk is larger than one Bedrock request allows');
    if (current.length === MAX_DOCUMENTS_PER_REQUEST || bytes + size > limit) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(document);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function toRetrieved(result: KnowledgeBaseRetrievalResult): RetrievedChunk | undefined {
  const metadata = result.metadata ?? {};
  const fileId = metadata[BEDROCK_METADATA_KEYS.fileId];
  if (typeof fileId !== 'string' || result.content?.text === undefined) return undefined;
  const fileName = metadata[BEDROCK_METADATA_KEYS.fileName];
  const numberOf = (key: string) => {
    const value = metadata[key];
    return typeof value === 'number' ? value : 0;
  };
  return {
    text: result.content.text,
    score: result.score ?? 0,
    fileId,
    fileName: typeof fileName === 'string' ? fileName : fileId,
    index: numberOf(CHUNK_KEYS.index),
    start: numberOf(CHUNK_KEYS.start),
    end: numberOf(CHUNK_KEYS.end),
  };
}

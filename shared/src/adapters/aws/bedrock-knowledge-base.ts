import { createHash, randomUUID } from 'node:crypto';
import {
  DeleteKnowledgeBaseDocumentsCommand,
  GetKnowledgeBaseDocumentsCommand,
  IngestKnowledgeBaseDocumentsCommand,
  type BedrockAgentClient,
} from '@aws-sdk/client-bedrock-agent';
import {
  RetrieveCommand,
  type BedrockAgentRuntimeClient,
} from '@aws-sdk/client-bedrock-agent-runtime';
import { AppError } from '../../errors/app-error';
import { BEDROCK_METADATA_KEYS, toBedrockFilter } from '../../knowledge-base/filter';
import type { Logger } from '../../logging/logger';
import type {
  KnowledgeBase,
  KnowledgeBaseDocument,
  RetrievalFilter,
  RetrievedChunk,
  RetrieveOptions,
} from '../../ports/knowledge-base';
import { RequestPacer, realSleep, withBackoff, type Sleep } from './bedrock-calls';
import {
  MAX_DOCUMENTS_PER_REQUEST,
  MAX_RESULTS,
  batchDocuments,
  chunkDocumentId,
  identifier,
  toBedrockDocument,
  toRetrieved,
} from './bedrock-documents';

export interface BedrockKnowledgeBaseOptions {
  agent: BedrockAgentClient;
  runtime: BedrockAgentRuntimeClient;
  knowledgeBaseId: string;
  /** A CUSTOM data source, best with chunking strategy NONE: chunks arrive already cut. */
  dataSourceId: string;
  log: Logger;
  /** Document API requests per second (Bedrock's quota is 5). */
  requestsPerSecond?: number;
  /** How often ingest polls GetKnowledgeBaseDocuments. Default 2 s. */
  pollIntervalMs?: number;
  /** How long ingest waits for its documents to be indexed. Default 10 min. */
  indexTimeoutMs?: number;
  /** Tests pass a fake clock. */
  sleep?: Sleep;
  now?: () => number;
}

/**
 * Amazon Bedrock Knowledge Bases. Each chunk is one document of a CUSTOM data source, ingested
 * inline with its tenant, project, user and file as metadata, so that retrieval can filter on
 * them and cite exact offsets. A file's chunks have the ids `<fileId>#0 .. #n-1`, contiguous, which
 * is how delete and countChunks find them without a listing of the whole data source.
 */
export class BedrockKnowledgeBase implements KnowledgeBase {
  private readonly pacer: RequestPacer;
  private readonly sleep: Sleep;
  private readonly now: () => number;

  constructor(private readonly options: BedrockKnowledgeBaseOptions) {
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
    this.pacer = new RequestPacer(options.requestsPerSecond ?? 5, this.sleep, this.now);
  }

  async ingest(document: KnowledgeBaseDocument): Promise<{ chunks: number }> {
    const { metadata, chunks } = document;
    const previous = await this.countChunks(metadata.fileId);
    const documents = chunks.map((chunk) => toBedrockDocument(metadata, chunk));
    const attempt = randomUUID();
    for (const batch of batchDocuments(documents)) {
      const token = clientToken(attempt, batch);
      await this.call('IngestKnowledgeBaseDocuments', () =>
        this.options.agent.send(
          new IngestKnowledgeBaseDocumentsCommand({
            ...this.target(),
            clientToken: token,
            documents: batch,
          }),
        ),
      );
    }
    // A shorter new version leaves old chunks at the end; they would still answer questions.
    if (previous > chunks.length) {
      await this.deleteIds(
        range(chunks.length, previous).map((i) => chunkDocumentId(metadata.fileId, i)),
      );
    }
    await this.waitUntilIndexed(
      chunks.map((chunk) => chunkDocumentId(metadata.fileId, chunk.index)),
    );
    return { chunks: chunks.length };
  }

  async delete(fileIds: readonly string[]): Promise<void> {
    for (const fileId of fileIds) {
      const count = await this.countChunks(fileId);
      await this.deleteIds(range(0, count).map((i) => chunkDocumentId(fileId, i)));
    }
  }

  /** Probes `<fileId>#0, #1, ...` a batch at a time until one is missing. */
  async countChunks(fileId: string): Promise<number> {
    for (let start = 0; ; start += MAX_DOCUMENTS_PER_REQUEST) {
      const ids = range(start, start + MAX_DOCUMENTS_PER_REQUEST).map((i) =>
        chunkDocumentId(fileId, i),
      );
      const statuses = await this.statuses(ids);
      const missing = ids.findIndex((id) => isAbsent(statuses.get(id)));
      if (missing !== -1) return start + missing;
    }
  }

  async retrieve(
    query: string,
    filter: RetrievalFilter,
    options: RetrieveOptions = {},
  ): Promise<RetrievedChunk[]> {
    const k = Math.min(options.k ?? 10, MAX_RESULTS);
    if (filter.fileIds.length === 0 || k <= 0 || query.trim().length === 0) return [];
    const response = await withBackoff(
      'Retrieve',
      () =>
        this.options.runtime.send(
          new RetrieveCommand({
            knowledgeBaseId: this.options.knowledgeBaseId,
            retrievalQuery: { text: query },
            retrievalConfiguration: {
              vectorSearchConfiguration: { numberOfResults: k, filter: toBedrockFilter(filter) },
            },
          }),
        ),
      { sleep: this.sleep },
    );
    return (response.retrievalResults ?? []).flatMap((result) => {
      const chunk = toRetrieved(result);
      // Bedrock applied the filter; checking again costs nothing and keeps tenants apart even if
      // a data source was ever filled without metadata.
      const inScope =
        chunk !== undefined &&
        result.metadata?.[BEDROCK_METADATA_KEYS.tenantId] === filter.tenantId &&
        result.metadata[BEDROCK_METADATA_KEYS.projectId] === filter.projectId &&
        filter.fileIds.includes(chunk.fileId);
      return inScope ? [chunk] : [];
    });
  }

  private target() {
    return {
      knowledgeBaseId: this.options.knowledgeBaseId,
      dataSourceId: this.options.dataSourceId,
    };
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return withBackoff(
      operation,
      async () => {
        await this.pacer.wait();
        return send();
      },
      { sleep: this.sleep },
    );
  }

  private async deleteIds(ids: readonly string[]): Promise<void> {
    const attempt = randomUUID();
    for (let start = 0; start < ids.length; start += MAX_DOCUMENTS_PER_REQUEST) {
      const identifiers = ids.slice(start, start + MAX_DOCUMENTS_PER_REQUEST).map(identifier);
      const token = clientToken(attempt, identifiers);
      await this.call('DeleteKnowledgeBaseDocuments', () =>
        this.options.agent.send(
          new DeleteKnowledgeBaseDocumentsCommand({
            ...this.target(),
            clientToken: token,
            documentIdentifiers: identifiers,
          }),
        ),
      );
    }
  }

  private async statuses(ids: readonly string[]): Promise<Map<string, string | undefined>> {
    const found = new Map<string, string | undefined>();
    for (let start = 0; start < ids.length; start += MAX_DOCUMENTS_PER_REQUEST) {
      const response = await this.call('GetKnowledgeBaseDocuments', () =>
        this.options.agent.send(
          new GetKnowledgeBaseDocumentsCommand({
            ...this.target(),
            documentIdentifiers: ids
              .slice(start, start + MAX_DOCUMENTS_PER_REQUEST)
              .map(identifier),
          }),
        ),
      );
      for (const detail of response.documentDetails ?? []) {
        const id = detail.identifier?.custom?.id;
        if (id !== undefined) found.set(id, detail.status);
      }
    }
    return found;
  }

  /** Polls until every document is INDEXED; a failed or ignored one fails the ingest. */
  private async waitUntilIndexed(ids: readonly string[]): Promise<void> {
    const deadline = this.now() + (this.options.indexTimeoutMs ?? 600_000);
    let pending = [...ids];
    while (pending.length > 0) {
      const statuses = await this.statuses(pending);
      const failed = pending.filter((id) => FAILED.has(statuses.get(id) ?? ''));
      if (failed.length > 0) {
        throw new AppError(
          'internal',
          `Bedrock did not index ${failed.length} chunk(s), e.g. ${failed[0]}`,
          {
            retryable: false,
            extensions: { status: statuses.get(failed[0]!) },
          },
        );
      }
      pending = pending.filter((id) => !INDEXED.has(statuses.get(id) ?? ''));
      if (pending.length === 0) return;
      if (this.now() >= deadline) {
        throw new AppError(
          'unavailable',
          `Bedrock has not indexed ${pending.length} chunk(s) in time`,
        );
      }
      await this.sleep(this.options.pollIntervalMs ?? 2000);
    }
  }
}

const INDEXED = new Set(['INDEXED', 'PARTIALLY_INDEXED', 'METADATA_PARTIALLY_INDEXED']);
const FAILED = new Set(['FAILED', 'IGNORED', 'METADATA_UPDATE_FAILED']);

function isAbsent(status: string | undefined): boolean {
  return (
    status === undefined ||
    status === 'NOT_FOUND' ||
    status === 'DELETING' ||
    status === 'DELETE_IN_PROGRESS'
  );
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/**
 * One token per request of one ingest or delete call, reused by every retry of that request, so
 * that a request the SDK or the backoff sends twice is applied once. It is not derived from the
 * content alone: Bedrock ignores a request whose token it has seen, and a file that expired and is
 * ingested again (or deleted again) must not be ignored. Redelivered events are harmless anyway:
 * chunk ids are fixed, so a second ingestion replaces the same documents.
 */
function clientToken(attempt: string, payload: unknown): string {
  return createHash('sha256').update(attempt).update(JSON.stringify(payload)).digest('hex');
}

import {
  BedrockAgentClient,
  DeleteKnowledgeBaseDocumentsCommand,
  GetKnowledgeBaseDocumentsCommand,
  IngestKnowledgeBaseDocumentsCommand,
  ThrottlingException,
  type GetKnowledgeBaseDocumentsCommandInput,
} from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { BedrockKnowledgeBase } from '../src/adapters/aws/bedrock-knowledge-base';
import { AppError } from '../src/errors/app-error';
import { buildRetrievalFilter } from '../src/knowledge-base/filter';
import { createLogger } from '../src/logging/logger';
import type { Chunk, ChunkMetadata } from '../src/ports';

const agentMock = mockClient(BedrockAgentClient);
const runtimeMock = mockClient(BedrockAgentRuntimeClient);
const log = createLogger({ service: 'test', level: 'silent' });
const KB = 'KB12345678';
const DS = 'DS12345678';

const metadata: ChunkMetadata = {
  tenantId: 'tenant-a',
  projectId: 'project-1',
  userId: 'user-1',
  fileId: 'file-1',
  fileName: 'notes.txt',
};

function chunks(count: number, size = 20): Chunk[] {
  return Array.from({ length: count }, (_, index) => ({
    text: `${index}`.padEnd(size, 'x'),
    start: index * size,
    end: (index + 1) * size,
    index,
  }));
}

/** A fake data source: which document ids exist, with what status. */
let stored: Map<string, string>;
let sleeps: number[];
let clock: number;

function makeKb(options: { pollIntervalMs?: number } = {}) {
  return new BedrockKnowledgeBase({
    agent: new BedrockAgentClient({ region: 'us-east-1' }),
    runtime: new BedrockAgentRuntimeClient({ region: 'us-east-1' }),
    knowledgeBaseId: KB,
    dataSourceId: DS,
    log,
    ...options,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
  });
}

function idsOf(input: GetKnowledgeBaseDocumentsCommandInput): string[] {
  return (input.documentIdentifiers ?? []).map((identifier) => identifier.custom?.id ?? '');
}

beforeEach(() => {
  agentMock.reset();
  runtimeMock.reset();
  stored = new Map();
  sleeps = [];
  clock = 1_000_000;
  agentMock
    .on(GetKnowledgeBaseDocumentsCommand)
    .callsFake((input: GetKnowledgeBaseDocumentsCommandInput) => ({
      documentDetails: idsOf(input).map((id) => ({
        knowledgeBaseId: KB,
        dataSourceId: DS,
        identifier: { dataSourceType: 'CUSTOM', custom: { id } },
        status: stored.get(id) ?? 'NOT_FOUND',
      })),
    }));
  agentMock
    .on(IngestKnowledgeBaseDocumentsCommand)
    .callsFake(
      (input: {
        documents: Array<{ content: { custom: { customDocumentIdentifier: { id: string } } } }>;
      }) => {
        for (const document of input.documents)
          stored.set(document.content.custom.customDocumentIdentifier.id, 'INDEXED');
        return {};
      },
    );
  agentMock
    .on(DeleteKnowledgeBaseDocumentsCommand)
    .callsFake((input: GetKnowledgeBaseDocumentsCommandInput) => {
      for (const id of idsOf(input)) stored.delete(id);
      return {};
    });
});

describe('BedrockKnowledgeBase.ingest', () => {
  it('sends each chunk as an inline CUSTOM document with the tenant, project, user and file', async () => {
    await expect(makeKb().ingest({ metadata, chunks: chunks(1) })).resolves.toEqual({ chunks: 1 });
    const [call] = agentMock.commandCalls(IngestKnowledgeBaseDocumentsCommand);
    const input = call!.args[0].input;
    expect(input.knowledgeBaseId).toBe(KB);
    expect(input.dataSourceId).toBe(DS);
    expect(input.clientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(input.documents).toEqual([
      {
        content: {
          dataSourceType: 'CUSTOM',
          custom: {
            customDocumentIdentifier: { id: 'file-1#0' },
            sourceType: 'IN_LINE',
            inlineContent: { type: 'TEXT', textContent: { data: chunks(1)[0]!.text } },
          },
        },
        metadata: {
          type: 'IN_LINE_ATTRIBUTE',
          inlineAttributes: [
            { key: 'tenantId', value: { type: 'STRING', stringValue: 'tenant-a' } },
            { key: 'projectId', value: { type: 'STRING', stringValue: 'project-1' } },
            { key: 'userId', value: { type: 'STRING', stringValue: 'user-1' } },
            { key: 'fileId', value: { type: 'STRING', stringValue: 'file-1' } },
            { key: 'fileName', value: { type: 'STRING', stringValue: 'notes.txt' } },
            { key: 'chunkIndex', value: { type: 'NUMBER', numberValue: 0 } },
            { key: 'chunkStart', value: { type: 'NUMBER', numberValue: 0 } },
            { key: 'chunkEnd', value: { type: 'NUMBER', numberValue: 20 } },
          ],
        },
      },
    ]);
  });

  it('sends at most 25 documents a request', async () => {
    await makeKb().ingest({ metadata, chunks: chunks(60) });
    const sizes = agentMock
      .commandCalls(IngestKnowledgeBaseDocumentsCommand)
      .map((call) => call.args[0].input.documents?.length);
    expect(sizes).toEqual([25, 25, 10]);
  });

  it('keeps every request under 6 MB', async () => {
    await makeKb().ingest({ metadata, chunks: chunks(12, 1024 * 1024) });
    const calls = agentMock.commandCalls(IngestKnowledgeBaseDocumentsCommand);
    for (const call of calls) {
      expect(Buffer.byteLength(JSON.stringify(call.args[0].input))).toBeLessThan(6 * 1024 * 1024);
    }
    expect(calls.map((call) => call.args[0].input.documents?.length)).toEqual([5, 5, 2]);
  });

  it('gives each request its own client token and resends a throttled one with the same token', async () => {
    let throttled = false;
    agentMock
      .on(IngestKnowledgeBaseDocumentsCommand)
      .callsFake(
        (input: {
          documents: Array<{ content: { custom: { customDocumentIdentifier: { id: string } } } }>;
        }) => {
          if (!throttled) {
            throttled = true;
            throw new ThrottlingException({
              message: 'slow down',
              $metadata: { httpStatusCode: 429 },
            });
          }
          for (const document of input.documents)
            stored.set(document.content.custom.customDocumentIdentifier.id, 'INDEXED');
          return {};
        },
      );
    await makeKb().ingest({ metadata, chunks: chunks(30) });
    const tokens = agentMock
      .commandCalls(IngestKnowledgeBaseDocumentsCommand)
      .map((call) => call.args[0].input.clientToken);
    expect(tokens).toHaveLength(3);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[1]);
  });

  it('uses new tokens when the same file is ingested again, so Bedrock does not skip it', async () => {
    const kb = makeKb();
    await kb.ingest({ metadata, chunks: chunks(2) });
    await kb.ingest({ metadata, chunks: chunks(2) });
    const [first, second] = agentMock
      .commandCalls(IngestKnowledgeBaseDocumentsCommand)
      .map((call) => call.args[0].input.clientToken);
    expect(first).not.toBe(second);
    expect(stored.size).toBe(2);
  });

  it('removes the chunks a shorter new version no longer has', async () => {
    const kb = makeKb();
    await kb.ingest({ metadata, chunks: chunks(4) });
    await kb.ingest({ metadata, chunks: chunks(2) });
    const [removal] = agentMock.commandCalls(DeleteKnowledgeBaseDocumentsCommand);
    expect(removal!.args[0].input.documentIdentifiers).toEqual([
      { dataSourceType: 'CUSTOM', custom: { id: 'file-1#2' } },
      { dataSourceType: 'CUSTOM', custom: { id: 'file-1#3' } },
    ]);
    expect(await kb.countChunks('file-1')).toBe(2);
  });

  it('waits until Bedrock has indexed the documents', async () => {
    let polls = 0;
    agentMock
      .on(GetKnowledgeBaseDocumentsCommand)
      .callsFake((input: GetKnowledgeBaseDocumentsCommandInput) => ({
        documentDetails: idsOf(input).map((id) => ({
          identifier: { dataSourceType: 'CUSTOM', custom: { id } },
          status: stored.has(id) ? (++polls < 3 ? 'IN_PROGRESS' : 'INDEXED') : 'NOT_FOUND',
        })),
      }));
    await makeKb({ pollIntervalMs: 1500 }).ingest({ metadata, chunks: chunks(1) });
    expect(polls).toBe(3);
    expect(sleeps.filter((ms) => ms === 1500)).toHaveLength(2);
  });

  it('fails when Bedrock could not index a chunk', async () => {
    agentMock
      .on(IngestKnowledgeBaseDocumentsCommand)
      .callsFake(
        (input: {
          documents: Array<{ content: { custom: { customDocumentIdentifier: { id: string } } } }>;
        }) => {
          for (const document of input.documents)
            stored.set(document.content.custom.customDocumentIdentifier.id, 'FAILED');
          return {};
        },
      );
    await expect(makeKb().ingest({ metadata, chunks: chunks(1) })).rejects.toMatchObject({
      code: 'internal',
      retryable: false,
    });
  });

  it('paces document requests to 5 a second', async () => {
    await makeKb().ingest({ metadata, chunks: chunks(60) });
    // Count probe, 3 ingest requests, 3 status polls: each waits 200 ms after the one before.
    expect(agentMock.calls().length).toBeGreaterThanOrEqual(5);
    expect(sleeps.every((ms) => ms === 200)).toBe(true);
    expect(sleeps).toHaveLength(agentMock.calls().length - 1);
  });

  it('gives up on throttling after its retries, as a retryable error', async () => {
    agentMock
      .on(IngestKnowledgeBaseDocumentsCommand)
      .rejects(
        new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 429 } }),
      );
    const error: unknown = await makeKb()
      .ingest({ metadata, chunks: chunks(1) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(agentMock.commandCalls(IngestKnowledgeBaseDocumentsCommand)).toHaveLength(6);
  });
});

describe('BedrockKnowledgeBase.delete and countChunks', () => {
  it('deletes every chunk of each file, a batch of 25 at a time', async () => {
    const kb = makeKb();
    await kb.ingest({ metadata, chunks: chunks(30) });
    await kb.delete(['file-1', 'unknown-file']);
    const deletes = agentMock.commandCalls(DeleteKnowledgeBaseDocumentsCommand);
    expect(deletes.map((call) => call.args[0].input.documentIdentifiers?.length)).toEqual([25, 5]);
    expect(deletes[0]!.args[0].input.clientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.size).toBe(0);
  });

  it('counts the contiguous chunk documents of a file', async () => {
    const kb = makeKb();
    await kb.ingest({ metadata, chunks: chunks(27) });
    expect(await kb.countChunks('file-1')).toBe(27);
    expect(await kb.countChunks('nothing')).toBe(0);
  });
});

describe('BedrockKnowledgeBase.retrieve', () => {
  const filter = buildRetrievalFilter(
    { tenantId: 'tenant-a', userId: 'user-1', email: undefined, tier: 'free' },
    'project-1',
    [
      { fileId: 'file-1', ttl: Number.MAX_SAFE_INTEGER },
      { fileId: 'file-2', ttl: Number.MAX_SAFE_INTEGER },
    ],
  );
  const result = (tenantId: string, fileId: string, score: number) => ({
    content: { type: 'TEXT' as const, text: `text of ${fileId}` },
    score,
    metadata: {
      tenantId,
      projectId: 'project-1',
      fileId,
      fileName: `${fileId}.txt`,
      chunkIndex: 3,
      chunkStart: 30,
      chunkEnd: 40,
    },
  });

  it('asks Bedrock with the tenant, project and live files as the metadata filter', async () => {
    runtimeMock
      .on(RetrieveCommand)
      .resolves({ retrievalResults: [result('tenant-a', 'file-1', 0.9)] });
    const hits = await makeKb().retrieve('what is in my notes?', filter, { k: 5 });
    expect(runtimeMock.commandCalls(RetrieveCommand)[0]!.args[0].input).toEqual({
      knowledgeBaseId: KB,
      retrievalQuery: { text: 'what is in my notes?' },
      retrievalConfiguration: {
        vectorSearchConfiguration: {
          numberOfResults: 5,
          filter: {
            andAll: [
              { equals: { key: 'tenantId', value: 'tenant-a' } },
              { equals: { key: 'projectId', value: 'project-1' } },
              { in: { key: 'fileId', value: ['file-1', 'file-2'] } },
            ],
          },
        },
      },
    });
    expect(hits).toEqual([
      {
        text: 'text of file-1',
        score: 0.9,
        fileId: 'file-1',
        fileName: 'file-1.txt',
        index: 3,
        start: 30,
        end: 40,
      },
    ]);
  });

  it('drops any result outside the filter', async () => {
    runtimeMock.on(RetrieveCommand).resolves({
      retrievalResults: [
        result('tenant-b', 'file-1', 0.9),
        result('tenant-a', 'file-9', 0.8),
        result('tenant-a', 'file-2', 0.7),
      ],
    });
    const hits = await makeKb().retrieve('q', filter);
    expect(hits.map((hit) => hit.fileId)).toEqual(['file-2']);
  });

  it('does not call Bedrock when no file is live', async () => {
    const none = buildRetrievalFilter(
      { tenantId: 'tenant-a', userId: 'u', email: undefined, tier: 'free' },
      'project-1',
      [],
    );
    await expect(makeKb().retrieve('q', none)).resolves.toEqual([]);
    expect(runtimeMock.commandCalls(RetrieveCommand)).toHaveLength(0);
  });

  it('asks for at most 100 results', async () => {
    runtimeMock.on(RetrieveCommand).resolves({ retrievalResults: [] });
    await makeKb().retrieve('q', filter, { k: 500 });
    const input = runtimeMock.commandCalls(RetrieveCommand)[0]!.args[0].input;
    expect(input.retrievalConfiguration?.vectorSearchConfiguration?.numberOfResults).toBe(100);
  });
});

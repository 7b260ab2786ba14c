import {
  buildRetrievalFilter,
  type FileRecord,
  type KbFilesRepository,
  type KnowledgeBase,
  type RetrievedChunk,
} from '@jitkb/shared';

/** One sample file per supported type, a question about it and words its answer contains. */
export const FORMATS = [
  {
    fixture: 'sample.txt',
    contentType: 'text/plain',
    query: 'Is the café closed on Sundays?',
    expected: 'Closed on Sundays',
  },
  {
    fixture: 'sample.md',
    contentType: 'text/markdown',
    query: 'enable two-factor authentication',
    expected: 'two-factor',
  },
  {
    fixture: 'sample.csv',
    contentType: 'text/csv',
    query: 'Grace Hopper admiral',
    expected: 'Grace Hopper',
  },
  {
    fixture: 'sample.html',
    contentType: 'text/html',
    query: 'when do refunds reach my account',
    expected: 'five working days',
  },
  {
    fixture: 'sample.pdf',
    contentType: 'application/pdf',
    query: 'revenue growth in the third quarter',
    expected: 'twelve percent',
  },
  {
    fixture: 'sample.docx',
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    query: 'hotel costs refunded per night',
    expected: 'Hotel costs',
  },
] as const;

/** Retrieves through the one filter retrieval accepts, built from the file's kb-files record. */
export async function retrieveFromFile(
  knowledgeBase: KnowledgeBase,
  kbFiles: KbFilesRepository,
  file: FileRecord,
  query: string,
): Promise<RetrievedChunk[]> {
  const live = await kbFiles.getMany([file.fileId]);
  const filter = buildRetrievalFilter(
    { tenantId: file.tenantId, userId: 'u1', email: undefined, tier: 'standard' },
    file.projectId,
    live,
  );
  return knowledgeBase.retrieve(query, filter, { k: 3 });
}

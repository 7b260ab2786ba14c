import type { RetrievalFilter as BedrockRetrievalFilter } from '@aws-sdk/client-bedrock-agent-runtime';
import type { TenantContext } from '../auth/tenant-context';
import { AppError } from '../errors/app-error';
import type { RetrievalFilter } from '../ports/knowledge-base';

/** A file the chat may search, with its kb-files `ttl` (epoch seconds). */
export interface LiveFile {
  fileId: string;
  ttl: number;
}

/**
 * Builds the one filter that retrieval accepts: the caller's tenant (taken from its verified
 * context, never from a request), one project, and the files of `liveFiles` whose `ttl` is still
 * ahead of `nowSeconds`. A file whose ttl has passed is left out even if the janitor has not yet
 * removed it, so an expired file never answers a question. An empty file list matches nothing.
 */
export function buildRetrievalFilter(
  tenant: TenantContext,
  projectId: string,
  liveFiles: readonly LiveFile[],
  nowSeconds: number = Math.floor(Date.now() / 1000),
): RetrievalFilter {
  if (tenant.tenantId.length === 0) throw AppError.invalid('a retrieval filter needs a tenant');
  if (projectId.length === 0) throw AppError.invalid('a retrieval filter needs a project');
  const fileIds = new Set<string>();
  for (const file of liveFiles) {
    if (file.fileId.length > 0 && file.ttl > nowSeconds) fileIds.add(file.fileId);
  }
  const filter = {
    tenantId: tenant.tenantId,
    projectId,
    fileIds: Object.freeze([...fileIds]),
  };
  // The one place the brand is asserted; see RetrievalFilter in ports/knowledge-base.ts.
  return Object.freeze(filter) as RetrievalFilter;
}

/** The metadata keys every chunk carries in Bedrock (see the Bedrock knowledge base adapter). */
export const BEDROCK_METADATA_KEYS = {
  tenantId: 'tenantId',
  projectId: 'projectId',
  userId: 'userId',
  fileId: 'fileId',
  fileName: 'fileName',
} as const;

/**
 * The same filter in Bedrock's metadata filter language:
 * `andAll: [equals tenantId, equals projectId, in fileId]`. Bedrock rejects an empty `in` list, so
 * a filter without files is refused here; callers answer "no results" without asking Bedrock.
 */
export function toBedrockFilter(filter: RetrievalFilter): BedrockRetrievalFilter {
  if (filter.fileIds.length === 0) {
    throw new AppError('internal', 'a retrieval filter without files matches nothing');
  }
  return {
    andAll: [
      { equals: { key: BEDROCK_METADATA_KEYS.tenantId, value: filter.tenantId } },
      { equals: { key: BEDROCK_METADATA_KEYS.projectId, value: filter.projectId } },
      { in: { key: BEDROCK_METADATA_KEYS.fileId, value: [...filter.fileIds] } },
    ],
  };
}

import type { TenantContext } from '../src/auth/tenant-context';
import { AppError } from '../src/errors/app-error';
import { buildRetrievalFilter, toBedrockFilter } from '../src/knowledge-base/filter';

const tenant: TenantContext = {
  tenantId: 'tenant-a',
  userId: 'user-1',
  email: undefined,
  tier: 'free',
};
const NOW = 1_800_000_000;

describe('buildRetrievalFilter', () => {
  it('carries the tenant of the verified context and the project', () => {
    const filter = buildRetrievalFilter(
      tenant,
      'project-1',
      [{ fileId: 'f1', ttl: NOW + 60 }],
      NOW,
    );
    expect(filter.tenantId).toBe('tenant-a');
    expect(filter.projectId).toBe('project-1');
    expect(filter.fileIds).toEqual(['f1']);
  });

  it('drops files whose ttl has passed, including one expiring this very second', () => {
    const filter = buildRetrievalFilter(
      tenant,
      'project-1',
      [
        { fileId: 'live', ttl: NOW + 1 },
        { fileId: 'now', ttl: NOW },
        { fileId: 'past', ttl: NOW - 3600 },
      ],
      NOW,
    );
    expect(filter.fileIds).toEqual(['live']);
  });

  it('uses the current time when none is given', () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const filter = buildRetrievalFilter(tenant, 'p', [
      { fileId: 'future', ttl: nowSeconds + 600 },
      { fileId: 'gone', ttl: nowSeconds - 600 },
    ]);
    expect(filter.fileIds).toEqual(['future']);
  });

  it('lists each file once', () => {
    const filter = buildRetrievalFilter(
      tenant,
      'p',
      [
        { fileId: 'f1', ttl: NOW + 10 },
        { fileId: 'f1', ttl: NOW + 20 },
      ],
      NOW,
    );
    expect(filter.fileIds).toEqual(['f1']);
  });

  it('matches nothing when no file is live', () => {
    const filter = buildRetrievalFilter(tenant, 'p', [{ fileId: 'old', ttl: NOW - 1 }], NOW);
    expect(filter.fileIds).toEqual([]);
  });

  it('is frozen, so a caller cannot widen it afterwards', () => {
    const filter = buildRetrievalFilter(tenant, 'p', [{ fileId: 'f1', ttl: NOW + 1 }], NOW);
    expect(Object.isFrozen(filter)).toBe(true);
    expect(Object.isFrozen(filter.fileIds)).toBe(true);
    expect(() => (filter.fileIds as string[]).push('other')).toThrow(TypeError);
  });

  it('refuses an empty tenant or project', () => {
    expect(() => buildRetrievalFilter({ ...tenant, tenantId: '' }, 'p', [], NOW)).toThrow(AppError);
    expect(() => buildRetrievalFilter(tenant, '', [], NOW)).toThrow(AppError);
  });
});

describe('toBedrockFilter', () => {
  it('requires tenant, project and one of the live files, all at once', () => {
    const filter = buildRetrievalFilter(
      tenant,
      'project-1',
      [
        { fileId: 'f1', ttl: NOW + 1 },
        { fileId: 'f2', ttl: NOW + 1 },
      ],
      NOW,
    );
    expect(toBedrockFilter(filter)).toEqual({
      andAll: [
        { equals: { key: 'tenantId', value: 'tenant-a' } },
        { equals: { key: 'projectId', value: 'project-1' } },
        { in: { key: 'fileId', value: ['f1', 'f2'] } },
      ],
    });
  });

  it('refuses a filter without files rather than send an empty list', () => {
    const filter = buildRetrievalFilter(tenant, 'p', [], NOW);
    expect(() => toBedrockFilter(filter)).toThrow(AppError);
  });
});

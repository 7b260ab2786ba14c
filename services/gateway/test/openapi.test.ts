import { createOpenApiDocument } from '../src/openapi';

/** DESIGN.md's API table, by method and path. */
const DESIGN_ROUTES = [
  'post /v1/projects',
  'get /v1/projects',
  'get /v1/projects/{id}',
  'delete /v1/projects/{id}',
  'post /v1/projects/{id}/files',
  'post /v1/projects/{id}/files/{fileId}/complete',
  'get /v1/projects/{id}/files',
  'delete /v1/projects/{id}/files/{fileId}',
  'post /v1/projects/{id}/chats',
  'get /v1/chats/{chatId}',
  'post /v1/chats/{chatId}/messages',
  'get /v1/chats/{chatId}/messages',
  'get /v1/tenant',
  'get /v1/openapi.json',
  'post /dev/token',
];

type Operation = {
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, unknown>;
};

const doc = createOpenApiDocument({ version: '1.2.3' });
const paths = doc.paths as Record<string, Record<string, Operation>>;

function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.push(v);
      else refs(v, found);
    }
  }
  return found;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and describes exactly the routes of the API table', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
    const documented = Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual([...DESIGN_ROUTES].sort());
  });

  it('requires a bearer token on every /v1 route but the document itself', () => {
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const open = path === '/v1/openapi.json' || path.startsWith('/dev/');
        expect([method, path, operation.security?.length ?? 0]).toEqual([
          method,
          path,
          open ? 0 : 1,
        ]);
        if (!open) expect(operation.responses).toHaveProperty('401');
      }
    }
    expect(doc.components?.securitySchemes).toHaveProperty('bearerAuth');
  });

  it('declares request bodies closed to unknown fields', () => {
    const schemas = doc.components?.schemas as Record<string, { additionalProperties?: unknown }>;
    for (const name of [
      'CreateProjectRequest',
      'CreateFileRequest',
      'StartChatRequest',
      'AskRequest',
      'DevTokenRequest',
    ]) {
      expect([name, schemas[name]?.additionalProperties]).toEqual([name, false]);
    }
  });

  it('documents the 429 and the streamed answer of a question', () => {
    const ask = paths['/v1/chats/{chatId}/messages']!.post!;
    expect(ask.responses).toHaveProperty('429');
    expect(JSON.stringify(ask.responses['200'])).toContain('text/event-stream');
    expect(JSON.stringify(ask.responses['200'])).toContain('RateLimit-Remaining');
  });

  it('resolves every reference to a component', () => {
    const schemas = doc.components?.schemas ?? {};
    for (const ref of refs(doc)) {
      const name = ref.replace('#/components/schemas/', '');
      expect([ref, name in schemas]).toEqual([ref, true]);
    }
  });
});

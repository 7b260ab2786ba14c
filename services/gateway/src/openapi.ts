import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { devTokenBody, devTokenView } from '@jitkb/shared';
import { z } from 'zod';
import { API_ROUTES, STREAM_EVENTS, type ApiRoute } from './routes/api-routes';

/** RFC 9457 problem details, as shared/src/http/problem.ts writes them. */
const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    correlationId: z.string().optional(),
  })
  .meta({ id: 'Problem' });

const PROBLEM_TEXT: Record<number, string> = {
  400: 'The request is malformed: unknown fields, wrong types, bad ids',
  401: 'No valid bearer token',
  404: 'Not found, or not the caller’s tenant’s',
  409: 'Conflicts with the current state (limit reached, chat not ready)',
  413: 'The file is over the tier’s maximum size',
  415: 'The content type is not supported',
  429: 'Over the tier’s queries per minute; see Retry-After',
  503: 'A service is unavailable; retry later',
};

function problemResponse(status: number): ResponseConfig {
  return {
    description: PROBLEM_TEXT[status] ?? 'Error',
    content: { 'application/problem+json': { schema: problemSchema } },
  };
}

const rateLimitHeaders = {
  'RateLimit-Limit': {
    description: 'Questions per minute of the tier',
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': { description: 'Questions left this minute', schema: { type: 'integer' } },
  'RateLimit-Reset': {
    description: 'Seconds until the window resets',
    schema: { type: 'integer' },
  },
} as const;

const STREAM_TEXT =
  'Server-sent events: `event: token` with `{text}` pieces of the answer, then one ' +
  '`event: sources` with `{id, sources, sessionId}`.';

function successResponse(route: ApiRoute): ResponseConfig {
  const { schema, description } = route.success;
  const content: NonNullable<ResponseConfig['content']> = {};
  if (schema) content['application/json'] = { schema };
  if (route.countsAsQuery) {
    // The data of each event; the stream itself is text.
    content['text/event-stream'] = {
      schema: z.union([STREAM_EVENTS.token, STREAM_EVENTS.sources]).meta({
        description: STREAM_TEXT,
      }),
    };
  }
  return {
    description,
    ...(schema ? { content } : {}),
    ...(route.countsAsQuery ? { headers: rateLimitHeaders } : {}),
  };
}

function toRouteConfig(route: ApiRoute): RouteConfig {
  const problems = [400, 401, ...route.problems, ...(route.countsAsQuery ? [429] : []), 503];
  const responses: RouteConfig['responses'] = {
    [route.success.status]: successResponse(route),
  };
  for (const status of problems) responses[status] = problemResponse(status);
  return {
    method: route.method,
    path: route.path.replace(/:(\w+)/g, '{$1}'),
    summary: route.summary,
    tags: [
      route.upstream === 'chat' ? 'chats' : route.path === '/v1/tenant' ? 'tenant' : 'projects',
    ],
    security: [{ bearerAuth: [] }],
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.body
        ? {
            body: {
              required: route.bodyOptional !== true,
              content: { 'application/json': { schema: route.body } },
            },
          }
        : {}),
    },
    responses,
  };
}

/** The OpenAPI 3.1 document of DESIGN.md's API, generated from the schemas the services parse. */
export function createOpenApiDocument(options: { version: string; serverUrl?: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const route of API_ROUTES) registry.registerPath(toRouteConfig(route));
  registry.registerPath({
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document',
    tags: ['meta'],
    responses: {
      200: {
        description: 'OpenAPI 3.1',
        content: { 'application/json': { schema: z.object({}).loose() } },
      },
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/dev/token',
    summary: 'A token from the embedded dev issuer (embedded mode only)',
    tags: ['dev'],
    request: {
      body: { required: true, content: { 'application/json': { schema: devTokenBody } } },
    },
    responses: {
      200: {
        description: 'A bearer token',
        content: { 'application/json': { schema: devTokenView } },
      },
      400: problemResponse(400),
      404: {
        description: 'Not in aws mode',
        content: { 'application/problem+json': { schema: problemSchema } },
      },
    },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'jitkb',
      version: options.version,
      description:
        'Multi-tenant just-in-time knowledge base with retrieval-augmented chat. Every /v1 route ' +
        'but this document needs a bearer token; the tenant comes from the token only.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
  });
}

import {
  answerSourcesEvent,
  answerTokenEvent,
  answerView,
  askBody,
  chatParams,
  chatView,
  completeFileBody,
  createdFileView,
  createFileBody,
  createProjectBody,
  fileList,
  fileParams,
  fileView,
  messageList,
  projectList,
  projectParams,
  projectView,
  startChatBody,
  startChatParams,
  tenantView,
} from '@jitkb/shared';
import type { z } from 'zod';

export type Upstream = 'project' | 'chat';

/** One route of DESIGN.md's API table: what the gateway validates and the OpenAPI document shows. */
export interface ApiRoute {
  method: 'get' | 'post' | 'delete';
  /** Express syntax (`:id`); the document uses `{id}`. */
  path: string;
  upstream: Upstream;
  summary: string;
  params?: z.ZodObject;
  /** The JSON body; unknown fields and wrong types are a 400 before anything is proxied. */
  body?: z.ZodType;
  /** Whether the route may be called without a body at all. */
  bodyOptional?: boolean;
  success: { status: number; description: string; schema?: z.ZodType };
  /** Problem statuses the route answers besides 400, 401, 429 and 503. */
  problems: number[];
  /** Counted against the tier's queries per minute. */
  countsAsQuery?: boolean;
}

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/v1/projects',
    upstream: 'project',
    summary: 'Create a project',
    body: createProjectBody,
    success: { status: 201, description: 'The new project', schema: projectView },
    problems: [],
  },
  {
    method: 'get',
    path: '/v1/projects',
    upstream: 'project',
    summary: "List the tenant's projects",
    success: { status: 200, description: 'The projects', schema: projectList },
    problems: [],
  },
  {
    method: 'get',
    path: '/v1/projects/:id',
    upstream: 'project',
    summary: 'Get a project',
    params: projectParams,
    success: { status: 200, description: 'The project', schema: projectView },
    problems: [404],
  },
  {
    method: 'delete',
    path: '/v1/projects/:id',
    upstream: 'project',
    summary: 'Delete a project, its files and their knowledge-base entries',
    params: projectParams,
    success: { status: 204, description: 'Deleted' },
    problems: [404],
  },
  {
    method: 'post',
    path: '/v1/projects/:id/files',
    upstream: 'project',
    summary: 'Create a file and get its upload target',
    params: projectParams,
    body: createFileBody,
    success: {
      status: 201,
      description: 'The file (pending upload) and where to upload it',
      schema: createdFileView,
    },
    problems: [404, 409, 413, 415],
  },
  {
    method: 'post',
    path: '/v1/projects/:id/files/:fileId/complete',
    upstream: 'project',
    summary: 'Mark a file uploaded once the stored object matches',
    params: fileParams,
    body: completeFileBody,
    bodyOptional: true,
    success: { status: 200, description: 'The file, status `uploaded`', schema: fileView },
    problems: [404, 409],
  },
  {
    method: 'get',
    path: '/v1/projects/:id/files',
    upstream: 'project',
    summary: "List a project's files",
    params: projectParams,
    success: { status: 200, description: 'The files', schema: fileList },
    problems: [404],
  },
  {
    method: 'delete',
    path: '/v1/projects/:id/files/:fileId',
    upstream: 'project',
    summary: 'Delete a file',
    params: fileParams,
    success: { status: 204, description: 'Deleted' },
    problems: [404],
  },
  {
    method: 'post',
    path: '/v1/projects/:id/chats',
    upstream: 'chat',
    summary: 'Start a chat; brings its files into the knowledge base',
    params: startChatParams,
    body: startChatBody,
    bodyOptional: true,
    success: {
      status: 201,
      description: 'The chat and the readiness of its files',
      schema: chatView,
    },
    problems: [404, 409],
  },
  {
    method: 'get',
    path: '/v1/chats/:chatId',
    upstream: 'chat',
    summary: 'Get a chat and its readiness',
    params: chatParams,
    success: { status: 200, description: 'The chat', schema: chatView },
    problems: [404],
  },
  {
    method: 'post',
    path: '/v1/chats/:chatId/messages',
    upstream: 'chat',
    summary: 'Ask a question; with Accept: text/event-stream the answer is streamed',
    params: chatParams,
    body: askBody,
    success: { status: 200, description: 'The answer with its sources', schema: answerView },
    problems: [404, 409],
    countsAsQuery: true,
  },
  {
    method: 'get',
    path: '/v1/chats/:chatId/messages',
    upstream: 'chat',
    summary: "A chat's history",
    params: chatParams,
    success: { status: 200, description: 'The messages, oldest first', schema: messageList },
    problems: [404],
  },
  {
    method: 'get',
    path: '/v1/tenant',
    upstream: 'project',
    summary: "The caller's tenant: tier, limits and usage",
    success: { status: 200, description: 'The tenant', schema: tenantView },
    problems: [],
  },
];

/** The events of a streamed answer, for the document. */
export const STREAM_EVENTS = { token: answerTokenEvent, sources: answerSourcesEvent };

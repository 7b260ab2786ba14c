// Deep type-only imports: the schema files, not the whole of @jitkb/shared (which is server code).
import type {
  AnswerView,
  ChatView,
  MessageView,
  SourceView,
} from '../../../shared/src/api/chat-schemas';
import type {
  CreatedFileView,
  FileView,
  ProjectView,
  TenantView,
} from '../../../shared/src/api/schemas';
import type { UiConfig } from '../src/ui-config.types';
import { readEventStream } from './sse';

/*
 * The typed client of the gateway's HTTP API (DESIGN.md), shared by the web UI and the `jitkb`
 * CLI. It needs only fetch, so it runs in a browser and in Node alike. The shapes are the ones
 * the services parse and answer with (shared/src/api).
 */

export type {
  AnswerView,
  ChatView,
  CreatedFileView,
  FileView,
  MessageView,
  ProjectView,
  SourceView,
  TenantView,
  UiConfig,
};

/** A problem+json answer (RFC 9457), or a failure that never reached the API. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: {
      type?: string;
      /** From Retry-After (429, 503): when asking again makes sense. */
      retryAfterSeconds?: number;
      /** The whole problem document, extension members included (a 409's readiness). */
      problem?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
  }

  /** What to tell a person: the server's detail, and when to retry if it said so. */
  describe(): string {
    const retry = this.extra.retryAfterSeconds;
    if (retry === undefined) return this.detail;
    return `${this.detail}. Try again in ${retry} second${retry === 1 ? '' : 's'}.`;
  }
}

/** Retry-After as seconds: either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turns a non-2xx response into an ApiError, using problem+json `detail` when there is one. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'));
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined; // Not JSON (a proxy's HTML page): the status text is all there is.
  }
  const detail =
    isRecord(body) && typeof body.detail === 'string'
      ? body.detail
      : `${res.status} ${res.statusText || 'request failed'}`.trim();
  return new ApiError(res.status, detail, {
    ...(isRecord(body) && typeof body.type === 'string' ? { type: body.type } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(isRecord(body) ? { problem: body } : {}),
  });
}

export interface DevTokenRequest {
  tenantId: string;
  userId: string;
  email?: string;
  tier?: string;
}

export interface DevToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** `POST /dev/token`: a token from the gateway's embedded issuer (embedded mode only). */
export async function requestDevToken(baseUrl: string, body: DevTokenRequest): Promise<DevToken> {
  const res = await fetch(`${trimSlash(baseUrl)}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await errorFromResponse(res);
  return (await res.json()) as DevToken;
}

/** `GET /ui-config.json`: how to sign in, and which file types an upload may be. */
export async function fetchUiConfig(baseUrl: string): Promise<UiConfig> {
  const res = await fetch(`${trimSlash(baseUrl)}/ui-config.json`);
  if (!res.ok) throw await errorFromResponse(res);
  return (await res.json()) as UiConfig;
}

export interface AskHandlers {
  /** Each piece of the answer as it is generated. */
  onToken?: (text: string) => void;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  /** The gateway's URL; '' in the browser, where the UI is served by the gateway itself. */
  baseUrl: string;
  /** The bearer token, read on every request (it may be replaced by a new sign-in). */
  token: () => string | undefined;
  /** Called on a 401, before the error is thrown: the token expired or was revoked. */
  onUnauthorized?: () => void;
}

function path(strings: TemplateStringsArray, ...ids: string[]): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < ids.length ? encodeURIComponent(ids[i] ?? '') : ''),
    '',
  );
}

/** The API under `/v1`, with the caller's bearer token. */
export class ApiClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = trimSlash(options.baseUrl);
  }

  /** A request with the token; a non-2xx answer is thrown as an ApiError. */
  async request(route: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = this.options.token();
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    if (init.body !== undefined && !headers.has('content-type')) {
      headers.set('content-type', 'application/json');
    }
    const res = await fetch(`${this.baseUrl}${route}`, { ...init, headers });
    if (res.ok) return res;
    if (res.status === 401) this.options.onUnauthorized?.();
    throw await errorFromResponse(res);
  }

  private async json<T>(route: string, init: RequestInit = {}): Promise<T> {
    const res = await this.request(route, init);
    return (await res.json()) as T;
  }

  private post<T>(route: string, body?: unknown): Promise<T> {
    return this.json<T>(route, {
      method: 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  private async delete(route: string): Promise<void> {
    await this.request(route, { method: 'DELETE' });
  }

  tenant(): Promise<TenantView> {
    return this.json('/v1/tenant');
  }

  async listProjects(): Promise<ProjectView[]> {
    return (await this.json<{ items: ProjectView[] }>('/v1/projects')).items;
  }

  createProject(name: string): Promise<ProjectView> {
    return this.post('/v1/projects', { name });
  }

  deleteProject(projectId: string): Promise<void> {
    return this.delete(path`/v1/projects/${projectId}`);
  }

  async listFiles(projectId: string): Promise<FileView[]> {
    return (await this.json<{ items: FileView[] }>(path`/v1/projects/${projectId}/files`)).items;
  }

  /** Registers a file and returns where to upload it (its `upload` target). */
  createFile(
    projectId: string,
    file: { name: string; contentType: string; size: number },
  ): Promise<CreatedFileView> {
    return this.post(path`/v1/projects/${projectId}/files`, file);
  }

  /** After the upload: the service checks the stored object and marks the file `uploaded`. */
  completeFile(projectId: string, fileId: string): Promise<FileView> {
    return this.post(path`/v1/projects/${projectId}/files/${fileId}/complete`);
  }

  deleteFile(projectId: string, fileId: string): Promise<void> {
    return this.delete(path`/v1/projects/${projectId}/files/${fileId}`);
  }

  /** Starts a chat; its files are brought into the knowledge base (status `preparing`). */
  startChat(projectId: string, fileIds?: string[]): Promise<ChatView> {
    return this.post(path`/v1/projects/${projectId}/chats`, fileIds ? { fileIds } : {});
  }

  getChat(chatId: string): Promise<ChatView> {
    return this.json(path`/v1/chats/${chatId}`);
  }

  async messages(chatId: string): Promise<MessageView[]> {
    return (await this.json<{ items: MessageView[] }>(path`/v1/chats/${chatId}/messages`)).items;
  }

  /**
   * Asks a question and streams the answer: `token` events go to `onToken` as they come, the
   * `sources` event ends the answer. A service that answers JSON instead is accepted too.
   */
  async ask(chatId: string, question: string, handlers: AskHandlers = {}): Promise<AnswerView> {
    const res = await this.request(path`/v1/chats/${chatId}/messages`, {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      body: JSON.stringify({ question }),
      ...(handlers.signal ? { signal: handlers.signal } : {}),
    });
    const type = res.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || !res.body) {
      const answer = (await res.json()) as AnswerView;
      handlers.onToken?.(answer.answer);
      return answer;
    }
    return readAnswerStream(res.body, handlers.onToken);
  }
}

type AnswerEnd = Omit<AnswerView, 'answer'>;

/** Reads a streamed answer: token events, then `sources` (and optionally `done`). */
async function readAnswerStream(
  body: ReadableStream<Uint8Array>,
  onToken: ((text: string) => void) | undefined,
): Promise<AnswerView> {
  let answer = '';
  let end: AnswerEnd | undefined;
  for await (const message of readEventStream(body)) {
    const data = JSON.parse(message.data) as unknown;
    if (message.event === 'token' && isRecord(data) && typeof data.text === 'string') {
      answer += data.text;
      onToken?.(data.text);
    } else if (message.event === 'sources' && isRecord(data)) {
      end = data as AnswerEnd;
    } else if (message.event === 'error') {
      const problem = isRecord(data) ? data : {};
      const status = typeof problem.status === 'number' ? problem.status : 500;
      const detail = typeof problem.detail === 'string' ? problem.detail : 'the answer failed';
      throw new ApiError(status, detail, { problem });
    } else if (message.event === 'done') {
      break;
    }
  }
  if (!end) throw new ApiError(502, 'the answer ended before its sources arrived');
  return { ...end, answer, sources: end.sources ?? [] };
}

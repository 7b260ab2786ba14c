/**
 * A small HTTP client for the end-to-end tests: JSON calls through the gateway with a bearer token,
 * uploads through the returned target, and problem+json checks.
 */
import { readFileSync } from 'node:fs';
import { createdFileView, fileView, type CreatedFileView, type FileView } from '@jitkb/shared';
import { importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { System } from './system';

export interface Reply {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when there is none. */
  body: unknown;
}

export type Method = 'GET' | 'POST' | 'DELETE';

/** One call; `token` null sends no Authorization header. */
export async function call(
  baseUrl: string,
  token: string | null,
  method: Method,
  path: string,
  body?: unknown,
): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

/** A client bound to the gateway and one token. */
export function client(system: System, token: string) {
  const api = (method: Method, path: string, body?: unknown) =>
    call(system.url, token, method, path, body);
  return {
    token,
    api,
    async createProject(name: string): Promise<string> {
      const reply = await api('POST', '/v1/projects', { name });
      expect(reply.status).toBe(201);
      return (reply.body as { id: string }).id;
    },
    /** Creates the file, uploads `content` through its target and completes it. */
    async uploadFile(
      projectId: string,
      name: string,
      contentType: string,
      content: Buffer,
    ): Promise<FileView> {
      const created = await api('POST', `/v1/projects/${projectId}/files`, {
        name,
        contentType,
        size: content.length,
      });
      expect(created.status).toBe(201);
      const file = createdFileView.parse(created.body);
      expect(await uploadThrough(file.upload, content)).toBeLessThan(300);
      const completed = await api('POST', `/v1/projects/${projectId}/files/${file.id}/complete`);
      expect(completed.status).toBe(200);
      return fileView.parse(completed.body);
    },
  };
}

/** Sends `content` through an upload target as a browser would; returns the HTTP status. */
export async function uploadThrough(
  target: CreatedFileView['upload'],
  content: Buffer,
): Promise<number> {
  const signal = AbortSignal.timeout(20_000);
  if (target.method === 'PUT') {
    const res = await fetch(target.url, {
      method: 'PUT',
      headers: target.headers ?? {},
      body: content,
      signal,
    });
    await res.arrayBuffer();
    return res.status;
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(target.fields ?? {})) form.append(name, value);
  // S3 reads every field after `file` as part of the file: the file goes last.
  form.append('file', new Blob([content]), 'upload');
  const res = await fetch(target.url, { method: 'POST', body: form, signal });
  await res.arrayBuffer();
  return res.status;
}

/** Checks an RFC 9457 problem answer with the given status (and problem type, when given). */
export function expectProblem(reply: Reply, status: number, type?: string): void {
  expect({ status: reply.status, contentType: reply.headers.get('content-type') }).toEqual({
    status,
    contentType: expect.stringContaining('application/problem+json') as unknown,
  });
  expect(reply.body).toMatchObject({
    status,
    title: expect.any(String) as unknown,
    detail: expect.any(String) as unknown,
    type: (type ? expect.stringMatching(new RegExp(`/${type}$`)) : expect.any(String)) as unknown,
  });
}

/**
 * Signs a token with the dev issuer's own key (read from its data directory), for tokens the
 * issuer will not hand out, such as an expired one.
 */
export async function signWithIssuerKey(system: System, payload: JWTPayload): Promise<string> {
  const jwk = JSON.parse(readFileSync(system.issuer.keyFile, 'utf8')) as JWK;
  const key = await importJWK(jwk, 'ES256');
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', ...(jwk.kid ? { kid: jwk.kid } : {}), typ: 'JWT' })
    .setIssuer(system.issuer.iss)
    .setAudience('jitkb')
    .sign(key);
}

/** The same token with one claim of its payload changed and its signature kept. */
export function tamper(token: string, claims: Record<string, string>): string {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) {
    throw new Error('not a JWS in compact form');
  }
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as object;
  const changed = Buffer.from(JSON.stringify({ ...decoded, ...claims })).toString('base64url');
  return `${header}.${changed}.${signature}`;
}

import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import {
  AppError,
  createLogger,
  createMetrics,
  createServiceApp,
  finishApp,
  jsonBody,
} from '@jitkb/shared';

function app() {
  const log = createLogger({ service: 'test', level: 'silent' });
  const a = createServiceApp({
    service: 'test',
    log,
    metrics: createMetrics('test', { defaults: false }),
  });
  a.post('/echo', ...jsonBody('1kb'), (req, res) => {
    const body = z.object({ name: z.string() }).strict().parse(req.body);
    res.json(body);
  });
  a.get('/things/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  a.get('/missing', () => {
    throw AppError.notFound('project');
  });
  a.get('/limited', () => {
    throw new AppError('too_many_requests', 'slow down', { retryAfterSeconds: 7 });
  });
  a.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  return finishApp(a, log);
}

describe('problem+json', () => {
  it('maps AppError codes to statuses', async () => {
    const res = await request(app()).get('/missing');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 404,
      title: 'Not Found',
      detail: 'project not found',
    });
    expect((res.body as { correlationId?: string }).correlationId).toBe(
      res.headers['x-correlation-id'],
    );
  });

  it('sets Retry-After on a 429', async () => {
    const res = await request(app()).get('/limited');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
  });

  it('hides the message of an unknown error', async () => {
    const res = await request(app()).get('/boom');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
  });

  it('answers 400 for malformed JSON and unknown fields, 413 for large bodies, 415 for other types', async () => {
    const a = app();
    expect((await request(a).post('/echo').type('json').send('{"name":')).status).toBe(400);
    const unknown = await request(a).post('/echo').send({ name: 'x', extra: 1 });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { detail: string }).detail).toMatch(/extra/);
    expect(
      (
        await request(a)
          .post('/echo')
          .send({ name: 'x'.repeat(2000) })
      ).status,
    ).toBe(413);
    expect((await request(a).post('/echo').type('text').send('name=x')).status).toBe(415);
  });

  it('answers 400 to a path parameter that is not percent-encoded UTF-8', async () => {
    const res = await request(app()).get('/things/%ED%A0%80');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 400,
      type: expect.stringMatching(/invalid-input$/) as unknown,
    });
  });

  it('serves health, readiness and metrics', async () => {
    const a = app();
    expect((await request(a).get('/healthz')).body).toEqual({ status: 'ok', service: 'test' });
    expect((await request(a).get('/readyz')).status).toBe(200);
    const metrics = await request(a).get('/metrics');
    expect(metrics.text).toContain('jitkb_http_request_duration_seconds');
  });

  it('answers problem+json for unknown routes', async () => {
    const res = await request(express().use(app())).get('/nope');
    expect(res.status).toBe(404);
  });
});

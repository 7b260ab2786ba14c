import { toProblem, type AnswerView, type Logger } from '@jitkb/shared';
import type { Request, Response } from 'express';
import type { Answering } from '../domain/ask';

/** One server-sent event; JSON data never holds a raw newline, so one `data:` line suffices. */
function writeEvent(res: Response, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Waits for the whole answer (the JSON response). */
export async function collectAnswer(answering: Answering): Promise<AnswerView> {
  for await (const event of answering) {
    if (event.type === 'answer') return event.answer;
  }
  throw new Error('the answer ended without a result');
}

/**
 * Streams an answer as server-sent events: `token` events (`{text}`), then one `sources` event
 * (`{id, sources, sessionId}`), then `done`. A failure after the first byte can no longer change
 * the status, so it is sent as an `error` event carrying the problem.
 */
export async function streamAnswer(
  req: Request,
  res: Response,
  answering: Answering,
  log: Logger,
): Promise<void> {
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-transform');
  // Proxies such as nginx would otherwise hold the events back.
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  try {
    for await (const event of answering) {
      // The client left: leaving the loop stops the generator, and nothing is recorded.
      if (closed) break;
      if (event.type === 'token') {
        writeEvent(res, 'token', { text: event.text });
      } else {
        const { answer: _text, ...rest } = event.answer;
        writeEvent(res, 'sources', rest);
        writeEvent(res, 'done', {});
      }
    }
  } catch (error) {
    const { problem, expose } = toProblem(error);
    if (!expose) log.error({ err: error }, 'streamed answer failed');
    if (!closed) writeEvent(res, 'error', problem);
  } finally {
    res.end();
  }
}

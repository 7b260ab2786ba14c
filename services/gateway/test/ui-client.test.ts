import { ApiError, errorFromResponse, parseRetryAfter } from '../ui/api-client';
import { readEventStream, type ServerSentEvent } from '../ui/sse';

/** A body that arrives in exactly these pieces, as a network would cut it. */
function streamOf(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readEventStream(stream)) events.push(event);
  return events;
}

describe('readEventStream', () => {
  it('reads events whose lines and UTF-8 characters are split across chunks', async () => {
    const euro = Buffer.from('€');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const encoder = new TextEncoder();
        controller.enqueue(encoder.encode('event: tok'));
        controller.enqueue(encoder.encode('en\ndata: {"text":"5 '));
        controller.enqueue(euro.subarray(0, 1));
        controller.enqueue(euro.subarray(1));
        controller.enqueue(encoder.encode('"}\n\nevent: done\ndata: {}\n\n'));
        controller.close();
      },
    });
    expect(await collect(stream)).toEqual([
      { event: 'token', data: '{"text":"5 €"}' },
      { event: 'done', data: '{}' },
    ]);
  });

  it('accepts CRLF and CR line ends, joins data lines and skips comments', async () => {
    const events = await collect(
      streamOf(': keep-alive\r\n\r\nevent: sources\r', '\ndata: a\rdata: b\r\n\r\n'),
    );
    expect(events).toEqual([{ event: 'sources', data: 'a\nb' }]);
  });

  it('names an event without an event field "message" and drops one cut off by the end', async () => {
    expect(await collect(streamOf('data: 1\n\ndata: 2'))).toEqual([
      { event: 'message', data: '1' },
    ]);
  });
});

describe('errorFromResponse', () => {
  it('uses the problem detail and the Retry-After of a 429', async () => {
    const res = new Response(
      JSON.stringify({
        type: 'https://jitkb.dev/problems/rate-limited',
        status: 429,
        detail: 'the free tier allows 10 questions a minute',
      }),
      { status: 429, headers: { 'content-type': 'application/problem+json', 'retry-after': '42' } },
    );
    const error = await errorFromResponse(res);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(429);
    expect(error.describe()).toBe(
      'the free tier allows 10 questions a minute. Try again in 42 seconds.',
    );
  });

  it('falls back to the status when the body is not problem+json', async () => {
    const error = await errorFromResponse(
      new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    expect(error.describe()).toBe('502 Bad Gateway');
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

/** One server-sent event: its `event` field (default `message`) and its joined `data` lines. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Parses a `text/event-stream` body as it arrives (WHATWG HTML, "event stream interpretation"):
 * lines end in LF, CR or CRLF, `:` starts a comment, a blank line dispatches the event. Fields
 * other than `event` and `data` (`id`, `retry`) mean nothing to a one-shot answer and are ignored.
 * Used by the web UI and the CLI alike: it needs only fetch's ReadableStream and TextDecoder.
 */
export async function* readEventStream(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      finished = done;
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // Mid-stream, a CR at the very end may be the first half of a CRLF still in flight.
      const lines = buffer.split(done ? /\r\n|\n|\r/ : /\r\n|\n|\r(?!$)/);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      // The spec drops an event that the stream ends before its blank line: so do we.
      if (done) return;
    }
  } finally {
    // A consumer that stops early (an error, a closed view) must not leave the response open.
    if (!finished) await reader.cancel();
    reader.releaseLock();
  }
}

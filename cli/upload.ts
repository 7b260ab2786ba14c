import {
  ApiError,
  errorFromResponse,
  type CreatedFileView,
} from '../services/gateway/ui/api-client';

const CHUNK = 64 * 1024;

/** The bytes as a stream of chunks, reporting how much has been handed to the connection. */
function meteredBody(
  bytes: Uint8Array,
  onProgress: (sent: number) => void,
): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      const end = Math.min(offset + CHUNK, bytes.length);
      controller.enqueue(bytes.subarray(offset, end));
      offset = end;
      onProgress(offset);
    },
  });
}

/** S3 answers errors in XML: its Message is the useful part. */
async function uploadError(res: Response): Promise<ApiError> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) return errorFromResponse(res);
  const text = await res.text();
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return new ApiError(res.status, message ?? `the upload failed (${res.status})`);
}

/**
 * Sends a file to the upload target the API returned: `PUT` with its headers (the embedded
 * store), streamed so that progress can be shown, or a multipart `POST` with its fields first and
 * the file last (an S3 presigned POST), whose progress is all or nothing.
 */
export async function uploadTo(
  target: CreatedFileView['upload'],
  name: string,
  bytes: Uint8Array,
  onProgress: (sent: number) => void,
): Promise<void> {
  let res: Response;
  if (target.method === 'PUT') {
    res = await fetch(target.url, {
      method: 'PUT',
      headers: target.headers ?? {},
      body: meteredBody(bytes, onProgress),
      // Node's fetch streams a request body only in half-duplex mode.
      duplex: 'half',
    });
  } else {
    const form = new FormData();
    for (const [field, value] of Object.entries(target.fields ?? {})) form.append(field, value);
    form.append('file', new Blob([bytes]), name);
    res = await fetch(target.url, { method: 'POST', body: form });
  }
  if (!res.ok) throw await uploadError(res);
  await res.arrayBuffer();
  onProgress(bytes.length);
}

import { ApiError, parseRetryAfter, type CreatedFileView } from './api-client';

export type UploadTarget = CreatedFileView['upload'];

/** The message of a failed upload: problem+json `detail` (embedded store) or S3's XML `Message`. */
function uploadFailure(xhr: XMLHttpRequest): ApiError {
  const retryAfter = parseRetryAfter(xhr.getResponseHeader('retry-after'));
  const extra = retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {};
  const text = xhr.responseText;
  try {
    const problem = JSON.parse(text) as { detail?: unknown };
    if (typeof problem.detail === 'string') return new ApiError(xhr.status, problem.detail, extra);
  } catch {
    // Not JSON: S3 answers XML.
  }
  const s3 = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return new ApiError(xhr.status, s3 ?? `the upload failed (${xhr.status})`, extra);
}

/**
 * Sends a file to its upload target: `PUT` with the target's headers (the embedded store), or a
 * multipart `POST` with its fields first and the file last (an S3 presigned POST). XMLHttpRequest,
 * not fetch, because only it reports upload progress.
 */
export function uploadFile(
  target: UploadTarget,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
      } else {
        reject(uploadFailure(xhr));
      }
    });
    xhr.addEventListener('error', () =>
      reject(new ApiError(0, 'the upload could not reach the server')),
    );
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'the upload was cancelled')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    if (target.method === 'PUT') {
      for (const [name, value] of Object.entries(target.headers ?? {}))
        xhr.setRequestHeader(name, value);
      xhr.send(file);
      return;
    }
    const form = new FormData();
    for (const [name, value] of Object.entries(target.fields ?? {})) form.append(name, value);
    // S3 ignores every field after `file`.
    form.append('file', file);
    xhr.send(form);
  });
}

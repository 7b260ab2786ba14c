import { Worker } from 'node:worker_threads';
import { AppError } from '@jitkb/shared';
import { extractionFailed } from './errors';

/** Limits for reading one PDF; the defaults suit files up to the largest tier's size limit. */
export interface PdfLimits {
  /** Heap of the worker that parses the file, in MB. */
  maxMemoryMb?: number;
  timeoutMs?: number;
}

const DEFAULT_MEMORY_MB = 512;
const DEFAULT_TIMEOUT_MS = 60_000;

/*
 * PDF.js runs in a worker thread, for two reasons. A hostile or huge PDF can exhaust memory or
 * spin: the worker has its own heap limit and is terminated on timeout, so the queue worker
 * survives and the message is retried. And unpdf loads its PDF.js build with a dynamic import
 * of an ES module, which a worker (plain Node) can do but jest's module sandbox cannot.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const unpdf = require(workerData.unpdfPath);
async function run() {
  const pdf = await unpdf.getDocumentProxy(workerData.body, { verbosity: 0 });
  try {
    const { text } = await unpdf.extractText(pdf, { mergePages: false });
    return { ok: true, pages: text };
  } finally {
    await pdf.destroy();
  }
}
run().then(
  (result) => parentPort.postMessage(result),
  (error) => parentPort.postMessage({
    ok: false,
    name: String((error && error.name) || 'Error'),
    message: String((error && error.message) || error),
  }),
);
`;

type WorkerReply = { ok: true; pages: string[] } | { ok: false; name: string; message: string };

/** PDF.js exception names that describe the bytes themselves. */
const DAMAGED = new Set(['InvalidPDFException', 'FormatError', 'XRefParseException']);

/** The text of each page of a PDF, pages separated by a blank line. */
export async function extractPdfText(body: Buffer, limits: PdfLimits = {}): Promise<string> {
  const reply = await runWorker(body, limits);
  if (reply.ok) return reply.pages.map((page) => page.trim()).join('\n\n');
  if (reply.name === 'PasswordException') {
    throw extractionFailed('the PDF is password-protected');
  }
  if (DAMAGED.has(reply.name)) {
    throw extractionFailed('the PDF file is damaged or not a PDF');
  }
  throw new AppError('internal', `PDF extraction failed: ${reply.name}: ${reply.message}`, {
    retryable: true,
  });
}

function runWorker(body: Buffer, limits: PdfLimits): Promise<WorkerReply> {
  const timeoutMs = limits.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { unpdfPath: require.resolve('unpdf'), body: new Uint8Array(body) },
    resourceLimits: { maxOldGenerationSizeMb: limits.maxMemoryMb ?? DEFAULT_MEMORY_MB },
  });
  return new Promise<WorkerReply>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Stopping the worker cannot change the outcome; a failure to stop it is reported.
      worker.terminate().then(outcome, reject);
    };
    const timer = setTimeout(() => {
      finish(() => reject(unavailable(`PDF extraction timed out after ${timeoutMs} ms`)));
    }, timeoutMs);
    worker.once('message', (reply: WorkerReply) => finish(() => resolve(reply)));
    worker.once('error', (error) => {
      finish(() => reject(unavailable(`PDF extraction failed: ${error.message}`, error)));
    });
    worker.once('exit', (code) => {
      finish(() => reject(unavailable(`PDF extraction stopped with exit code ${code}`)));
    });
  });
}

/** Out of memory, a timeout or a crash: not a verdict on the file, so the job is retried. */
function unavailable(message: string, cause?: unknown): AppError {
  return new AppError('unavailable', message, { cause });
}

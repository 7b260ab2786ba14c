import {
  AppError,
  charsetOf,
  resolveContentType,
  SUPPORTED_TYPES,
  type SupportedContentType,
} from '@jitkb/shared';
import { csvToPlainText } from './csv';
import { decodeText, assertLooksLikeText } from './decode';
import { extractDocxText } from './docx';
import { extractionFailed, NO_TEXT } from './errors';
import { htmlToPlainText } from './html';
import { markdownToPlainText } from './markdown';
import { extractPdfText, type PdfLimits } from './pdf';
import { extractPlainText, normaliseLineEndings } from './plain-text';

export { EXTRACTION_FAILED } from './errors';
export type { PdfLimits } from './pdf';

export interface ExtractInput {
  body: Buffer;
  /** As the client declared it; parameters (`charset`) are honoured, generic types fall back
   * to the file name's extension. */
  contentType: string;
  fileName: string;
}

export interface ExtractedText {
  /** The text chunk offsets refer to; line endings are `\n`. */
  text: string;
  /** The supported type the file was read as. */
  contentType: SupportedContentType;
}

export interface ExtractOptions {
  pdf?: PdfLimits;
}

/**
 * Reads the text out of an uploaded file by its type. Throws AppError `invalid_input` with type
 * `extraction-failed` and a message the uploader can act on when the file itself is the
 * problem (unsupported type, damaged or password-protected, no text); other failures are
 * retryable or unexpected errors, so the job is tried again.
 */
export async function extractText(
  input: ExtractInput,
  options: ExtractOptions = {},
): Promise<ExtractedText> {
  const contentType = resolveContentType(input.contentType, input.fileName);
  if (contentType === undefined) {
    throw extractionFailed(
      `files of type ${input.contentType || 'unknown'} are not supported; supported: ${supportedList()}`,
    );
  }
  const raw = await extractByType(contentType, input, options);
  const text = normaliseLineEndings(raw).trim();
  if (text === '') throw extractionFailed(NO_TEXT);
  return { text, contentType };
}

async function extractByType(
  contentType: SupportedContentType,
  input: ExtractInput,
  options: ExtractOptions,
): Promise<string> {
  const charset = charsetOf(input.contentType);
  switch (contentType) {
    case 'text/plain':
      return extractPlainText(input.body, charset);
    case 'text/markdown':
      return markdownToPlainText(decodeChecked(input.body, charset));
    case 'text/csv':
      return csvToPlainText(decodeChecked(input.body, charset));
    case 'text/html':
      return htmlToPlainText(decodeChecked(input.body, charset));
    case 'application/pdf':
      return extractPdfText(input.body, options.pdf);
    case 'application/vnd.openxmlformats-officedocument.wordprocessingml.document':
      return extractDocxText(input.body);
    default:
      return unreachable(contentType);
  }
}

function decodeChecked(body: Buffer, charset: string | undefined): string {
  const text = decodeText(body, charset);
  assertLooksLikeText(text);
  return normaliseLineEndings(text);
}

function supportedList(): string {
  return SUPPORTED_TYPES.flatMap((type) => type.extensions).join(', ');
}

function unreachable(value: never): never {
  throw new AppError('internal', `no extractor for ${String(value)}`);
}

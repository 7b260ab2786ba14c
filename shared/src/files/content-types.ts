/**
 * The file types jitkb can extract text from, with the extensions that identify them. The
 * project service checks uploads against this table; the ingestion worker picks an extractor
 * from it.
 */
export const SUPPORTED_TYPES = [
  { contentType: 'text/plain', extensions: ['.txt', '.text'], label: 'Plain text' },
  { contentType: 'text/markdown', extensions: ['.md', '.markdown'], label: 'Markdown' },
  { contentType: 'text/csv', extensions: ['.csv'], label: 'CSV' },
  { contentType: 'text/html', extensions: ['.html', '.htm'], label: 'HTML' },
  { contentType: 'application/pdf', extensions: ['.pdf'], label: 'PDF' },
  {
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    extensions: ['.docx'],
    label: 'Word document',
  },
] as const;

export type SupportedContentType = (typeof SUPPORTED_TYPES)[number]['contentType'];

/*
 * Names clients and operating systems send for the same types. Browsers often send nothing or
 * application/octet-stream for .md and .csv, and Windows labels .csv as an Excel file, so those
 * are decided by the file extension instead.
 */
const ALIASES: Readonly<Record<string, SupportedContentType>> = {
  'text/x-markdown': 'text/markdown',
  'application/csv': 'text/csv',
  'text/x-csv': 'text/csv',
  'application/xhtml+xml': 'text/html',
  'application/x-pdf': 'application/pdf',
};
const DECIDED_BY_EXTENSION = new Set([
  '',
  'application/octet-stream',
  'binary/octet-stream',
  'application/vnd.ms-excel',
]);

/** Whether a bare content type (no parameters) is one of SUPPORTED_TYPES. */
export function isSupportedContentType(value: string): value is SupportedContentType {
  return SUPPORTED_TYPES.some((type) => type.contentType === value);
}

/** The supported type a file name's extension stands for, if any (case-insensitive). */
export function contentTypeForFileName(fileName: string): SupportedContentType | undefined {
  const lower = fileName.toLowerCase();
  const dot = lower.lastIndexOf('.');
  if (dot < 0) return undefined;
  const extension = lower.slice(dot);
  const match = SUPPORTED_TYPES.find((type) =>
    (type.extensions as readonly string[]).includes(extension),
  );
  return match?.contentType;
}

/**
 * Resolves what a client sent (`text/plain; charset=utf-8`, `text/x-markdown`, or a generic
 * `application/octet-stream`) to a supported type, using the file name when the content type
 * says nothing useful. Returns undefined for an unsupported file.
 */
export function resolveContentType(
  contentType: string,
  fileName: string,
): SupportedContentType | undefined {
  const bare = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (isSupportedContentType(bare)) return bare;
  const alias = ALIASES[bare];
  if (alias !== undefined) return alias;
  if (DECIDED_BY_EXTENSION.has(bare)) return contentTypeForFileName(fileName);
  return undefined;
}

/** The `charset` parameter of a content type, lowercased, if present. */
export function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1]?.toLowerCase();
}

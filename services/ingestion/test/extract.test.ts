import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppError,
  contentTypeForFileName,
  resolveContentType,
  SUPPORTED_TYPES,
} from '@jitkb/shared';
import { extractText } from '../src/domain/extract';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

function fixture(name: string): Buffer {
  return readFileSync(join(__dirname, 'fixtures', name));
}

async function extractFixture(fileName: string, contentType: string): Promise<string> {
  const { text } = await extractText({ body: fixture(fileName), contentType, fileName });
  return text;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => undefined,
    (rejected: unknown) => rejected,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

async function expectPermanent(
  fileName: string,
  contentType: string,
  message: string,
): Promise<void> {
  const error = await failure(extractText({ body: fixture(fileName), contentType, fileName }));
  expect(error.code).toBe('invalid_input');
  expect(error.type).toBe('extraction-failed');
  expect(error.retryable).toBe(false);
  expect(error.message).toBe(message);
}

describe('extractText', () => {
  it('reads UTF-8 text, dropping the byte order mark and normalising CRLF', async () => {
    const text = await extractFixture('sample.txt', 'text/plain');
    expect(text).toBe('Café opening hours\n\nMonday to Friday, 8:00 to 18:00.\nClosed on Sundays.');
  });

  it('reads UTF-16 with a byte order mark and falls back to Windows-1252', async () => {
    expect(await extractFixture('utf16.txt', 'text/plain')).toBe('Grüße aus Köln');
    expect(await extractFixture('latin1.txt', 'text/plain')).toBe('Crème brûlée costs 5 €.');
  });

  it('honours a declared charset', async () => {
    const body = Buffer.from('Ça va?', 'latin1');
    const result = await extractText({
      body,
      contentType: 'text/plain; charset=ISO-8859-1',
      fileName: 'a.txt',
    });
    expect(result.text).toBe('Ça va?');
  });

  it('keeps Markdown headings and text but drops markup, link targets and images', async () => {
    const text = await extractFixture('sample.md', 'text/markdown');
    expect(text).toContain('Onboarding guide');
    expect(text).toContain('Accounts');
    expect(text).toContain('Welcome to Acme. Read the handbook first.');
    expect(text).toContain('two-factor authentication');
    expect(text).toContain('acme login --sso');
    expect(text).toMatch(/Support\s+#support/);
    expect(text).not.toMatch(/[*_#]{2}|\]\(|https?:|diagram\.png|```/);
  });

  it('renders each CSV row as column: value pairs on one line', async () => {
    const text = await extractFixture('sample.csv', 'text/csv');
    expect(text.split('\n')).toEqual([
      'name: Ada Lovelace; role: engineer; start date: 2024-01-15; notes: Works on the analytical engine, remote',
      'name: Grace Hopper; role: admiral; start date: 2023-06-01',
      'name: Alan Turing; start date: 2022-09-30; notes: Cryptography',
    ]);
  });

  it('detects semicolon-separated CSV', async () => {
    const body = Buffer.from('city;country\nLyon;France\n');
    const result = await extractText({ body, contentType: 'text/csv', fileName: 'c.csv' });
    expect(result.text).toBe('city: Lyon; country: France');
  });

  it('reports a CSV with an unclosed quote as a permanent failure', async () => {
    const body = Buffer.from('a,b\n"open,1\n');
    const error = await failure(extractText({ body, contentType: 'text/csv', fileName: 'x.csv' }));
    expect(error.type).toBe('extraction-failed');
    expect(error.message).toMatch(/^the CSV file could not be read/);
  });

  it('keeps the main text of HTML without scripts, styles, navigation or page chrome', async () => {
    const text = await extractFixture('sample.html', 'text/html');
    expect(text).toBe(
      'Returns policy\n\nYou can return any item within 30 days of delivery.\n\n\n' +
        'Refunds\n\nRefunds reach your account within five working days.',
    );
  });

  it('reads the text of every page of a PDF', async () => {
    const text = await extractFixture('sample.pdf', 'application/pdf');
    expect(text).toBe(
      'Quarterly report\nRevenue grew by twelve percent in the third quarter.\n\n' +
        'Outlook\nThe board expects steady growth in the northern region.',
    );
  });

  it('reads the paragraphs of a Word document', async () => {
    const text = await extractFixture('sample.docx', DOCX);
    expect(text).toBe(
      'Travel policy\n\nEmployees book economy class for flights under six hours.\n\n' +
        'Hotel costs are refunded up to 150 euros a night.',
    );
  });

  it('decides by file extension when the content type is generic', async () => {
    const result = await extractText({
      body: fixture('sample.docx'),
      contentType: 'application/octet-stream',
      fileName: 'Policy.DOCX',
    });
    expect(result.contentType).toBe(DOCX);
    expect(result.text).toContain('Travel policy');
  });

  it('reports a damaged PDF', async () => {
    await expectPermanent('corrupt.pdf', 'application/pdf', 'the PDF file is damaged or not a PDF');
    await expectPermanent('sample.txt', 'application/pdf', 'the PDF file is damaged or not a PDF');
  });

  it('reports a password-protected PDF', async () => {
    await expectPermanent('encrypted.pdf', 'application/pdf', 'the PDF is password-protected');
  });

  it('reports files without text', async () => {
    const noText = 'the file contains no extractable text';
    await expectPermanent('no-text.pdf', 'application/pdf', noText);
    await expectPermanent('empty.txt', 'text/plain', noText);
    const headerOnly = Buffer.from('name,role\n');
    const error = await failure(
      extractText({ body: headerOnly, contentType: 'text/csv', fileName: 'h.csv' }),
    );
    expect(error.message).toBe(noText);
  });

  it('reports a file that is not a Word document', async () => {
    const message = 'the Word file is damaged or not a .docx file';
    await expectPermanent('sample.pdf', DOCX, message);
    const truncated = fixture('sample.docx').subarray(0, 2000);
    const error = await failure(
      extractText({ body: truncated, contentType: DOCX, fileName: 'cut.docx' }),
    );
    expect(error.message).toBe(message);
  });

  it('reports binary bytes sent as text', async () => {
    await expectPermanent('sample.pdf', 'text/plain', 'the file is not a text file');
  });

  it('reports an unsupported type with the supported extensions', async () => {
    const error = await failure(
      extractText({ body: Buffer.from('x'), contentType: 'image/png', fileName: 'a.png' }),
    );
    expect(error.type).toBe('extraction-failed');
    expect(error.message).toBe(
      'files of type image/png are not supported; supported: ' +
        '.txt, .text, .md, .markdown, .csv, .html, .htm, .pdf, .docx',
    );
  });

  it('does not mark running out of memory as permanent', async () => {
    const error = await failure(
      extractText(
        { body: fixture('sample.pdf'), contentType: 'application/pdf', fileName: 'a.pdf' },
        { pdf: { maxMemoryMb: 1 } },
      ),
    );
    expect(error.code).toBe('unavailable');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/memory/i);
  });

  it('does not mark a PDF timeout as permanent', async () => {
    const error = await failure(
      extractText(
        { body: fixture('sample.pdf'), contentType: 'application/pdf', fileName: 'a.pdf' },
        { pdf: { timeoutMs: 1 } },
      ),
    );
    expect(error.code).toBe('unavailable');
    expect(error.retryable).toBe(true);
    expect(error.type).not.toBe('extraction-failed');
  });
});

describe('supported content types', () => {
  it('lists the six extractable types', () => {
    expect(SUPPORTED_TYPES.map((type) => type.contentType)).toEqual([
      'text/plain',
      'text/markdown',
      'text/csv',
      'text/html',
      'application/pdf',
      DOCX,
    ]);
  });

  it('resolves parameters, aliases and generic types', () => {
    expect(resolveContentType('Text/HTML; charset=utf-8', 'x')).toBe('text/html');
    expect(resolveContentType('text/x-markdown', 'x')).toBe('text/markdown');
    expect(resolveContentType('application/vnd.ms-excel', 'data.csv')).toBe('text/csv');
    expect(resolveContentType('', 'notes.md')).toBe('text/markdown');
    expect(resolveContentType('image/png', 'a.pdf')).toBeUndefined();
    expect(contentTypeForFileName('archive.tar.gz')).toBeUndefined();
  });
});

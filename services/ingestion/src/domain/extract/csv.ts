import { CsvError, parse } from 'csv-parse/sync';
import { extractionFailed } from './errors';

const DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * CSV to text, one line per row as `column: value` pairs (`name: Ada; role: engineer`), so that
 * a chunk holding only some rows still says what each value is. Empty cells are left out;
 * values are kept on one line so a row is never cut by the chunker's line boundaries.
 */
export function csvToPlainText(source: string): string {
  const rows = parseRows(source);
  const [header, ...records] = rows;
  if (header === undefined) return '';
  const names = header.map((name, i) => oneLine(name) || `column ${i + 1}`);
  const lines = records.map((record) =>
    record
      .map((value, i) => [names[i] ?? `column ${i + 1}`, oneLine(value)] as const)
      .filter(([, value]) => value !== '')
      .map(([name, value]) => `${name}: ${value}`)
      .join('; '),
  );
  return lines.filter((line) => line !== '').join('\n');
}

function parseRows(source: string): string[][] {
  try {
    return parse(source, {
      delimiter: guessDelimiter(source),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    });
  } catch (error) {
    if (error instanceof CsvError) {
      throw extractionFailed(`the CSV file could not be read: ${error.message}`, error);
    }
    throw error;
  }
}

/*
 * Spreadsheets in many locales export with semicolons or tabs. The delimiter is the candidate
 * that occurs most often in the header line (outside quotes); commas win ties.
 */
function guessDelimiter(source: string): string {
  const firstLine = (source.split(/\r?\n/, 1)[0] ?? '').replace(/"[^"]*"/g, '');
  let best: string = ',';
  let bestCount = 0;
  for (const delimiter of DELIMITERS) {
    const count = firstLine.split(delimiter).length - 1;
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
  }
  return best;
}

function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

import { TextDecoder } from 'node:util';
import iconv from 'iconv-lite';
import { extractionFailed } from './errors';

/*
 * Basic encoding detection for text formats: a byte order mark wins, then a charset the client
 * declared, then strict UTF-8; text that is not valid UTF-8 is read as Windows-1252, which is
 * what legacy Western files almost always are and which never fails to decode. iconv-lite does
 * the legacy decoding because Node's TextDecoder reads 'windows-1252' as ISO-8859-1 (0x80 is
 * not the euro sign there).
 */
const BOMS: readonly { bytes: readonly number[]; encoding: string }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a text file's bytes to a string without its byte order mark. */
export function decodeText(body: Buffer, declaredCharset?: string): string {
  const bom = BOMS.find((candidate) => candidate.bytes.every((byte, i) => body[i] === byte));
  if (bom !== undefined) return iconv.decode(body.subarray(bom.bytes.length), bom.encoding);
  // An unknown charset label is ignored rather than failing the file: detection still runs.
  if (declaredCharset !== undefined && iconv.encodingExists(declaredCharset)) {
    return iconv.decode(body, declaredCharset);
  }
  try {
    return utf8.decode(body);
  } catch (error) {
    if (!hasCode(error, 'ERR_ENCODING_INVALID_ENCODED_DATA')) throw error;
    return iconv.decode(body, 'windows-1252');
  }
}

// Node's errors come from another realm under jest, so they are told apart by code, not class.
function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

/** Rejects bytes that are plainly not text (NUL bytes in UTF-8 or single-byte text). */
export function assertLooksLikeText(text: string): void {
  if (text.includes('\u0000')) {
    throw extractionFailed('the file is not a text file');
  }
}

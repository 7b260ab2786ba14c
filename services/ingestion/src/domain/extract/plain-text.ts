import { assertLooksLikeText, decodeText } from './decode';

/** Plain text: decoded, line endings normalised to \n so offsets do not depend on the platform. */
export function extractPlainText(body: Buffer, charset?: string): string {
  const text = decodeText(body, charset);
  assertLooksLikeText(text);
  return normaliseLineEndings(text);
}

export function normaliseLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

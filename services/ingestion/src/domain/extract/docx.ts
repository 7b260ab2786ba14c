import mammoth from 'mammoth';
import { extractionFailed } from './errors';

const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
// Word wraps an encrypted .docx (and the legacy .doc format) in an OLE compound file.
const OLE_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/*
 * What mammoth (through JSZip) says about a file that is not a readable .docx. These are
 * properties of the bytes, so retrying cannot help; any other error (memory, a bug) may.
 */
const DAMAGED =
  /central directory|corrupted zip|end of data|main document part|invalid|unsupported/i;

/** The raw text of a Word document, one paragraph per block. */
export async function extractDocxText(body: Buffer): Promise<string> {
  if (body.subarray(0, 8).equals(OLE_SIGNATURE)) {
    throw extractionFailed('the Word file is password-protected or in the old .doc format');
  }
  if (!body.subarray(0, 4).equals(ZIP_SIGNATURE)) {
    throw extractionFailed('the Word file is damaged or not a .docx file');
  }
  try {
    const result = await mammoth.extractRawText({ buffer: body });
    return result.value;
  } catch (error) {
    if (error instanceof Error && DAMAGED.test(error.message)) {
      throw extractionFailed('the Word file is damaged or not a .docx file', error);
    }
    throw error;
  }
}

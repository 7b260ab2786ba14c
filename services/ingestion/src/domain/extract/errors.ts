import { AppError } from '@jitkb/shared';

/** The problem type of every permanent extraction failure; the worker reports it and acks. */
export const EXTRACTION_FAILED = 'extraction-failed';

/** A failure that retrying cannot fix: the message is shown to the user who uploaded the file. */
export function extractionFailed(reason: string, cause?: unknown): AppError {
  return new AppError('invalid_input', reason, { type: EXTRACTION_FAILED, cause });
}

export const NO_TEXT = 'the file contains no extractable text';

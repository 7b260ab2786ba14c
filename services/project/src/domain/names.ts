import { AppError } from '@jitkb/shared';

/** Longest display name kept, in code points. */
export const MAX_NAME_LENGTH = 200;

// Control and format characters (bidi overrides included) can disguise a name on screen; a lone
// surrogate is no character at all, and DynamoDB refuses the string that holds one.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;
const PATH_SEPARATORS = /[/\\]/g;

/**
 * A name fit for display: control and format characters and path separators removed, white
 * space collapsed and trimmed, at most MAX_NAME_LENGTH code points. Names are only ever shown;
 * keys and paths never come from them. Throws `invalid_input` when nothing is left.
 */
export function sanitiseName(raw: string, what = 'name'): string {
  const cleaned = raw
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(PATH_SEPARATORS, '')
    .replace(/\s+/gu, ' ')
    .trim();
  const name = [...cleaned].slice(0, MAX_NAME_LENGTH).join('').trim();
  if (name.length === 0) {
    throw AppError.invalid(
      `${what} is empty once control characters and path separators are removed`,
    );
  }
  return name;
}

import { ApiError } from './api-client';
import { byId } from './dom';

/** The message a person sees for a failure: the API's problem detail, else the error's text. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.describe();
  if (error instanceof TypeError) return 'The server could not be reached. Check your connection.';
  return error instanceof Error ? error.message : String(error);
}

/** The page's one alert region (role="alert"): errors, and short confirmations. */
export interface Notice {
  error(error: unknown, context?: string): void;
  info(message: string): void;
  clear(): void;
}

export function createNotice(): Notice {
  const region = byId('notice', HTMLDivElement);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const show = (text: string, kind: 'error' | 'info') => {
    clearTimeout(timer);
    region.textContent = text;
    region.dataset.kind = kind;
    region.hidden = false;
    // Errors stay until the next action; confirmations go away by themselves.
    if (kind === 'info') timer = setTimeout(() => (region.hidden = true), 4000);
  };
  return {
    error(error, context) {
      const text = describeError(error);
      show(context ? `${context}: ${text}` : text, 'error');
    },
    info(message) {
      show(message, 'info');
    },
    clear() {
      clearTimeout(timer);
      region.hidden = true;
      region.textContent = '';
    },
  };
}

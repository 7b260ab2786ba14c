import type { AwsModeConfig } from '../../config/base';
import type { Adapters, CreateAdaptersOptions } from '../index';

// PLACEHOLDER: replaced by the real implementation.
export function createAwsAdapters(
  _config: AwsModeConfig,
  _options: CreateAdaptersOptions,
): Adapters {
  throw new Error('not implemented');
}

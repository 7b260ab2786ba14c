import { SUPPORTED_TYPES, type TierConfig } from '@jitkb/shared';
import type { Config } from './config';
import type { UiConfig, UiSignIn } from './ui-config.types';

export type { UiConfig, UiSignIn };

/** The UI's settings, from the gateway's configuration. Nothing secret goes in here. */
export function createUiConfig(
  config: Config,
  tiers: TierConfig,
  /** Whether the gateway serves the embedded dev issuer (and so `POST /dev/token`). */
  devIssuer: boolean,
): UiConfig {
  const signIn: UiSignIn = devIssuer
    ? { kind: 'dev', tiers: Object.keys(tiers.tiers) }
    : config.OIDC_ISSUER && config.UI_OIDC_CLIENT_ID
      ? {
          kind: 'oidc',
          issuer: config.OIDC_ISSUER,
          clientId: config.UI_OIDC_CLIENT_ID,
          scopes: config.UI_OIDC_SCOPES,
          token: config.UI_OIDC_TOKEN,
        }
      : { kind: 'none' };
  return {
    signIn,
    supportedTypes: SUPPORTED_TYPES.map((t) => ({
      contentType: t.contentType,
      extensions: [...t.extensions],
      label: t.label,
    })),
  };
}

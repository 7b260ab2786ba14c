/*
 * The web UI's public settings. Types only, with no imports: the browser bundle (ui/) imports
 * them without pulling in any server code.
 */

/** How the web UI signs a user in. */
export type UiSignIn =
  /** Embedded mode: a form that asks the gateway's dev issuer for a token (`POST /dev/token`). */
  | { kind: 'dev'; tiers: string[] }
  /** An OIDC provider: authorization code with PKCE, as a public client (no secret). */
  | {
      kind: 'oidc';
      issuer: string;
      clientId: string;
      scopes: string;
      /** Which token of the provider's answer carries the claims the services verify. */
      token: 'id_token' | 'access_token';
    }
  /** A provider without a client id for the UI: the UI cannot sign anyone in. */
  | { kind: 'none' };

/** `GET /ui-config.json`: the public settings the UI needs before anyone has signed in. */
export interface UiConfig {
  signIn: UiSignIn;
  /** What an upload may be; the UI checks files against it before asking for an upload URL. */
  supportedTypes: { contentType: string; extensions: string[]; label: string }[];
}

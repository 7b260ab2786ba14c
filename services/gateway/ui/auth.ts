import { ApiError, errorFromResponse, requestDevToken, type DevTokenRequest } from './api-client';
import type { UiSignIn } from '../src/ui-config.types';

/*
 * Sign-in for the web UI. The token lives in sessionStorage: it survives a reload but not the tab,
 * and no other site can read it. In embedded mode the gateway's dev issuer signs it; with an OIDC
 * provider the UI is a public client using the authorization code flow with PKCE (RFC 7636).
 */

const TOKEN_KEY = 'jitkb.token';
const PKCE_KEY = 'jitkb.pkce';

export interface Session {
  token: string;
  /** The token's `sub`, shown beside the sign-out button. */
  subject: string;
  /** Epoch milliseconds; the UI signs out when it passes. */
  expiresAt: number;
}

function base64UrlDecode(text: string): string {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) =>
    c.charCodeAt(0),
  );
  return new TextDecoder().decode(bytes);
}

function base64UrlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Reads a token's claims for display and expiry only: the services verify its signature. A token
 * that cannot be read is no session.
 */
export function sessionOf(token: string): Session | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(base64UrlDecode(payload)) as { sub?: unknown; exp?: unknown };
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + 3_600_000;
    return { token, subject: typeof claims.sub === 'string' ? claims.sub : '', expiresAt: exp };
  } catch {
    return undefined; // Not a JWT: treated as signed out, and the sign-in form shows.
  }
}

/** The stored session, unless it expired. */
export function currentSession(): Session | undefined {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const session = token ? sessionOf(token) : undefined;
  if (session && session.expiresAt > Date.now()) return session;
  sessionStorage.removeItem(TOKEN_KEY);
  return undefined;
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

function store(token: string): Session {
  const session = sessionOf(token);
  if (!session) throw new ApiError(502, 'the sign-in answered with a token that cannot be read');
  sessionStorage.setItem(TOKEN_KEY, token);
  return session;
}

/** Embedded mode: a token for whoever the form names. */
export async function signInWithDevToken(request: DevTokenRequest): Promise<Session> {
  return store((await requestDevToken('', request)).access_token);
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw await errorFromResponse(res);
  return (await res.json()) as Discovery;
}

type OidcSignIn = Extract<UiSignIn, { kind: 'oidc' }>;

/** Where the provider sends the user back: the UI's own page, without query or fragment. */
function redirectUri(): string {
  return `${window.location.origin}${window.location.pathname}`;
}

function randomString(bytes: number): string {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Sends the browser to the provider's sign-in page; the verifier waits in sessionStorage. */
export async function beginOidcSignIn(settings: OidcSignIn): Promise<void> {
  const { authorization_endpoint } = await discover(settings.issuer);
  const verifier = randomString(32);
  const state = randomString(16);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    scope: settings.scopes,
    state,
    code_challenge: base64UrlEncode(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

/**
 * On the way back from the provider (`?code=…&state=…`): checks the state, exchanges the code
 * with the verifier, and stores the configured token. Returns undefined when this is no redirect.
 */
export async function completeOidcSignIn(settings: OidcSignIn): Promise<Session | undefined> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return undefined;
  // The code is single-use and must not stay in the address bar or the history.
  window.history.replaceState(null, '', redirectUri());
  const saved = sessionStorage.getItem(PKCE_KEY);
  sessionStorage.removeItem(PKCE_KEY);
  if (error) {
    throw new ApiError(401, `sign-in failed: ${params.get('error_description') ?? error}`);
  }
  const pkce = saved ? (JSON.parse(saved) as { verifier: string; state: string }) : undefined;
  if (!pkce || pkce.state !== params.get('state')) {
    throw new ApiError(400, 'sign-in failed: the answer does not match this browser; try again');
  }
  const { token_endpoint } = await discover(settings.issuer);
  const res = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: redirectUri(),
      client_id: settings.clientId,
      code_verifier: pkce.verifier,
    }),
  });
  if (!res.ok) throw await errorFromResponse(res);
  const tokens = (await res.json()) as Partial<Record<'id_token' | 'access_token', string>>;
  const token = tokens[settings.token];
  if (!token) throw new ApiError(502, `sign-in failed: the provider sent no ${settings.token}`);
  return store(token);
}

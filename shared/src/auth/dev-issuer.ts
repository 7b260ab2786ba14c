import { readFileSync, writeFileSync } from 'node:fs';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';
import { z } from 'zod';
import type { AuthSettings } from './auth-config';

const ALGORITHM = 'ES256';

const privateJwkSchema = z.looseObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  d: z.string(),
  kid: z.string(),
});

export interface DevIssuerOptions {
  /** The `iss` of the tokens, e.g. devIssuerUrl(JITKB_PUBLIC_URL). */
  issuer: string;
  audience: string;
  /** Claim names, as the services read them (AuthSettings.claims). */
  claims: AuthSettings['claims'];
  /** Where the signing key is kept so tokens survive restarts; in memory when absent. */
  keyFile?: string;
  /** Lifetime of an issued token (default one hour). */
  tokenTtlSeconds?: number;
}

/** Who a dev token is for. */
export interface DevTokenRequest {
  tenantId: string;
  userId: string;
  email?: string | undefined;
  tier?: string | undefined;
}

export interface DevToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/**
 * The embedded mode's token issuer: one ES256 key, kept in the data directory, signing tokens that
 * the services verify exactly as they verify a production provider's.
 */
export class DevIssuer {
  private readonly publicJwk: JWK;
  private readonly localKeys: JWTVerifyGetKey;

  private constructor(
    private readonly options: DevIssuerOptions,
    private readonly privateKey: KeyLike,
    privateJwk: JWK,
  ) {
    const { d: _secret, ...publicPart } = privateJwk;
    this.publicJwk = { ...publicPart, alg: ALGORITHM, use: 'sig' };
    this.localKeys = createLocalJWKSet(this.jwks());
  }

  /** Loads the key from `keyFile`, or creates it there (mode 0600) on first start. */
  static async open(options: DevIssuerOptions): Promise<DevIssuer> {
    const jwk = options.keyFile ? await loadOrCreateKey(options.keyFile) : await newPrivateJwk();
    const key = await importJWK(jwk, ALGORITHM);
    if (key instanceof Uint8Array) throw new Error('the dev issuer key is not an EC key');
    return new DevIssuer(options, key, jwk);
  }

  get issuer(): string {
    return this.options.issuer;
  }

  /** The public key set, as served at `/dev/oidc/jwks`. */
  jwks(): JSONWebKeySet {
    return { keys: [this.publicJwk] };
  }

  /** Verification keys without an HTTP round trip, for the process that holds the issuer. */
  keys(): JWTVerifyGetKey {
    return this.localKeys;
  }

  /** The OIDC discovery document (only what verifiers read). */
  discovery(jwksUri: string): Record<string, unknown> {
    return {
      issuer: this.options.issuer,
      jwks_uri: jwksUri,
      id_token_signing_alg_values_supported: [ALGORITHM],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
    };
  }

  /** Signs an access token for the given tenant and user. */
  async issue(request: DevTokenRequest): Promise<DevToken> {
    const ttl = this.options.tokenTtlSeconds ?? 3600;
    const { claims } = this.options;
    const payload: Record<string, string> = {
      [claims.tenantId]: request.tenantId,
      [claims.userId]: request.userId,
    };
    if (request.email !== undefined) payload[claims.email] = request.email;
    if (request.tier !== undefined) payload[claims.tier] = request.tier;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: ALGORITHM, kid: this.publicJwk.kid, typ: 'JWT' })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${ttl}s`)
      .sign(this.privateKey);
    return { access_token: token, token_type: 'Bearer', expires_in: ttl };
  }
}

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk) };
}

async function loadOrCreateKey(file: string): Promise<JWK> {
  const existing = readKey(file);
  if (existing) return existing;
  const jwk = await newPrivateJwk();
  try {
    writeFileSync(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    return jwk;
  } catch (error) {
    // Another process created it first: use theirs, so that both sign with one key.
    const theirs = (error as NodeJS.ErrnoException).code === 'EEXIST' ? readKey(file) : undefined;
    if (theirs) return theirs;
    throw error;
  }
}

function readKey(file: string): JWK | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = privateJwkSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} does not hold an EC P-256 private key`);
  return parsed.data;
}

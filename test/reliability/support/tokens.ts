/**
 * Tokens that must never be accepted, made from the dev issuer's own key (read from its data
 * directory) or from keys of our own.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { System } from '../../e2e/system';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface ForgedToken {
  name: string;
  /** The Authorization header's value (null: none). */
  authorization: string | null;
}

/** Claims that would be accepted if the token were signed by the issuer. */
export function claimsFor(system: System, tenantId: string, userId: string): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: system.issuer.iss,
    aud: 'jitkb',
    sub: userId,
    'custom:tenantId': tenantId,
    'custom:tier': 'bulk',
    iat: now,
    exp: now + 600,
  };
}

async function sign(
  payload: JWTPayload,
  key: Parameters<SignJWT['sign']>[0],
  header: { alg: string; kid?: string },
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ ...header, typ: 'JWT' }).sign(key);
}

/** The same token with its payload changed and its signature kept. */
export function tamper(token: string, claims: JWTPayload): string {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) {
    throw new Error('not a compact JWS');
  }
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JWTPayload;
  return `${header}.${b64({ ...decoded, ...claims })}.${signature}`;
}

/**
 * Every kind of bad token: `valid` is a real token of the tenant, `victim` another tenant whose id
 * a tampered token claims.
 */
export async function forgeTokens(
  system: System,
  who: { tenantId: string; userId: string; valid: string; victim: string },
): Promise<ForgedToken[]> {
  const jwk = JSON.parse(readFileSync(system.issuer.keyFile, 'utf8')) as JWK;
  const issuerKey = await importJWK(jwk, 'ES256');
  const kid =
    jwk.kid ??
    (
      JSON.parse(Buffer.from(who.valid.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
        kid?: string;
      }
    ).kid;
  const { d: _private, ...publicJwk } = jwk;
  const publicPem = createPublicKey({ key: publicJwk as never, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const foreign = await generateKeyPair('ES256', { extractable: true });
  const foreignRsa = await generateKeyPair('RS256', { extractable: true });
  const claims = claimsFor(system, who.tenantId, who.userId);
  const now = Math.floor(Date.now() / 1000);
  const es256 = { alg: 'ES256', ...(kid ? { kid } : {}) };
  const bearer = (token: string) => `Bearer ${token}`;

  const tokens: Array<[string, string | null]> = [
    ['none', null],
    ['not a bearer token', `Basic ${Buffer.from('alice:secret').toString('base64')}`],
    ['malformed', bearer('not.a.jwt')],
    ['alg none', bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`)],
    [
      'HS256 signed with the public key (PEM)',
      bearer(
        await sign(claims, new TextEncoder().encode(publicPem), {
          alg: 'HS256',
          ...(kid ? { kid } : {}),
        }),
      ),
    ],
    [
      'HS256 signed with the public key (JWK)',
      bearer(
        await sign(claims, new TextEncoder().encode(JSON.stringify(publicJwk)), {
          alg: 'HS256',
          ...(kid ? { kid } : {}),
        }),
      ),
    ],
    [
      'expired',
      bearer(await sign({ ...claims, iat: now - 3600, exp: now - 600 }, issuerKey, es256)),
    ],
    [
      'not yet valid',
      bearer(
        await sign(
          { ...claims, iat: now + 600, nbf: now + 600, exp: now + 1200 },
          issuerKey,
          es256,
        ),
      ),
    ],
    ['without exp', bearer(await sign({ ...claims, exp: undefined }, issuerKey, es256))],
    [
      'wrong issuer',
      bearer(await sign({ ...claims, iss: 'https://issuer.invalid/dev/oidc' }, issuerKey, es256)),
    ],
    ['wrong audience', bearer(await sign({ ...claims, aud: 'another-api' }, issuerKey, es256))],
    ['unknown kid', bearer(await sign(claims, issuerKey, { alg: 'ES256', kid: 'unknown-kid' }))],
    ['foreign key with the issuer kid', bearer(await sign(claims, foreign.privateKey, es256))],
    ['foreign key without kid', bearer(await sign(claims, foreign.privateKey, { alg: 'ES256' }))],
    [
      'foreign RSA key',
      bearer(await sign(claims, foreignRsa.privateKey, { alg: 'RS256', kid: 'rsa-1' })),
    ],
    ['tampered tenant claim', bearer(tamper(who.valid, { 'custom:tenantId': who.victim }))],
    ['tampered tier claim', bearer(tamper(who.valid, { 'custom:tier': 'premium' }))],
    ['signature stripped', bearer(`${who.valid.split('.').slice(0, 2).join('.')}.`)],
  ];
  return tokens.map(([name, authorization]) => ({ name, authorization }));
}

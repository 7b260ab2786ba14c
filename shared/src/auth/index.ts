export * from './tenant-context';
export * from './auth-config';
export * from './identity';
export * from './authenticator';
export * from './require-auth';
export * from './dev-issuer';
export * from './verified-tokens';

export * from './table';
export * from './object-store';
export * from './event-bus';
export * from './knowledge-base';
export * from './embedder';
export * from './generator';
export * from './rate-limiter';

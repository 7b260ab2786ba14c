export * from './metrics';
export * from './dead-letters';

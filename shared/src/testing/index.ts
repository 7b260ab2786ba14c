export * from './moto';
export * from './aws';
export * from './testbed';
export * from './tokens';
export * from './random';

export * from './problem';
export * from './service-app';
export * from './run-service';

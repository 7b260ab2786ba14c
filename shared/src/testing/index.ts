export * from './moto';
export * from './aws';

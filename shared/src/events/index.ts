export * from './events';
export * from './subscriptions';

export * from './paging';
export * from './projects.repository';
export * from './files.repository';
export * from './kb-files.repository';
export * from './chats-repository';
export * from './chat-history-repository';
export * from './leases-repository';

import type { ChatRecord, ChatStatus, ChatView, FileRecord, FileStatus } from '@jitkb/shared';

/** Statuses after which a file will not change without a new request. */
const SETTLED: ReadonlySet<FileStatus> = new Set(['ready', 'failed']);

/**
 * A chat's readiness from its files' current statuses: `ready` once every file is ready or
 * failed (with at least one ready), `failed` when all failed, else `preparing`. A file that is no
 * longer in the project counts as failed: it will never become ready.
 */
export function chatStatusOf(statuses: readonly FileStatus[]): ChatStatus {
  if (statuses.length === 0 || statuses.every((status) => status === 'failed')) return 'failed';
  return statuses.every((status) => SETTLED.has(status)) ? 'ready' : 'preparing';
}

/** The API view of a chat, its files in the chat's order. */
export function chatViewOf(chat: ChatRecord, files: readonly FileRecord[]): ChatView {
  const byId = new Map(files.map((file) => [file.fileId, file]));
  const views = chat.fileIds.map((fileId) => {
    const file = byId.get(fileId);
    return { id: fileId, name: file?.name ?? '', status: file?.status ?? ('failed' as const) };
  });
  return {
    id: chat.chatId,
    projectId: chat.projectId,
    status: chatStatusOf(views.map((view) => view.status)),
    files: views,
  };
}

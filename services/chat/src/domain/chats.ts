import { randomUUID } from 'node:crypto';
import {
  AppError,
  createEvent,
  type ChatRecord,
  type ChatView,
  type ChatsRepository,
  type EventBus,
  type FileRecord,
  type FilesRepository,
  type KbFilesRepository,
  type Logger,
  type ProjectsRepository,
  type TenantContext,
} from '@jitkb/shared';
import { epochSeconds, liveRecords, type TtlRefresher } from './file-ttl';
import { chatViewOf } from './readiness';

export interface ChatUseCaseDeps {
  chats: ChatsRepository;
  projects: ProjectsRepository;
  files: FilesRepository;
  kbFiles: KbFilesRepository;
  bus: EventBus;
  refreshTtl: TtlRefresher;
  now: () => Date;
}

/** Who asks, and the request's logger and correlation id. */
export interface Caller {
  tenant: TenantContext;
  log: Logger;
  correlationId?: string | undefined;
}

/** Files that can enter the knowledge base: everything uploaded, whatever happened since. */
const chattable = (file: FileRecord) => file.status !== 'pending-upload';

/** Chats: starting one brings its files into the knowledge base just in time. */
export function createChatUseCases(deps: ChatUseCaseDeps) {
  async function chatFiles(
    tenant: TenantContext,
    projectId: string,
    fileIds: readonly string[] | undefined,
  ): Promise<FileRecord[]> {
    if (!fileIds) {
      const files = (await deps.files.listAll(tenant.tenantId, projectId)).filter(chattable);
      if (files.length === 0) {
        throw AppError.conflict('the project has no uploaded files to chat with', {
          type: 'no-files',
        });
      }
      return files;
    }
    const unique = [...new Set(fileIds)];
    const files = await deps.files.getMany(tenant.tenantId, projectId, unique);
    const found = new Set(files.filter(chattable).map((file) => file.fileId));
    const unknown = unique.filter((fileId) => !found.has(fileId));
    if (unknown.length > 0) {
      throw AppError.invalid('fileIds names files that are not uploaded files of this project', {
        unknownFileIds: unknown,
      });
    }
    return files;
  }

  /** Asks for the ingestion of the files that are not in the knowledge base now. */
  async function requestIngestion(caller: Caller, chat: ChatRecord, fileIds: string[]) {
    if (fileIds.length === 0) return;
    const { tenant } = caller;
    const event = createEvent('files.ingest-requested', tenant.tenantId, {
      projectId: chat.projectId,
      chatId: chat.chatId,
      userId: tenant.userId,
      tier: tenant.tier,
      fileIds,
    });
    await deps.bus.publish(
      event,
      caller.correlationId ? { correlationId: caller.correlationId } : {},
    );
    caller.log.info({ chatId: chat.chatId, fileIds, eventId: event.id }, 'ingestion requested');
  }

  /**
   * Files whose ttl has passed while their record still says `ready` are marked `expired`, as the
   * janitor will (it may lag by a sweep), so that ingestion can claim them again. Returns the files
   * with their statuses now.
   */
  async function markLapsed(
    files: readonly FileRecord[],
    liveIds: ReadonlySet<string>,
  ): Promise<FileRecord[]> {
    return Promise.all(
      files.map(async (file) => {
        if (file.status !== 'ready' || liveIds.has(file.fileId)) return file;
        return (await deps.files.markExpired(file)) ?? file;
      }),
    );
  }

  return {
    /**
     * Creates a chat on the project's files (all uploaded ones by default). Files in the knowledge
     * base get their ttl refreshed; the others (except failed ones) are requested for ingestion.
     */
    async startChat(
      caller: Caller,
      projectId: string,
      fileIds: readonly string[] | undefined,
    ): Promise<ChatView> {
      const { tenant } = caller;
      const project = await deps.projects.get(tenant.tenantId, projectId);
      if (!project) throw AppError.notFound('project');
      const files = await chatFiles(tenant, projectId, fileIds);
      const at = deps.now();
      const nowIso = at.toISOString();
      const chat: ChatRecord = {
        tenantId: tenant.tenantId,
        chatId: randomUUID(),
        projectId,
        userId: tenant.userId,
        fileIds: files.map((file) => file.fileId),
        status: 'preparing',
        createdAt: nowIso,
        lastInteraction: nowIso,
        sessionId: randomUUID(),
        sessionAt: nowIso,
      };
      const records = await deps.kbFiles.getMany(chat.fileIds);
      const live = liveRecords(tenant, projectId, records, epochSeconds(at));
      const liveIds = new Set(live.map((record) => record.fileId));
      const current = await markLapsed(files, liveIds);
      const missing = current.filter((f) => !liveIds.has(f.fileId) && f.status !== 'failed');
      await requestIngestion(
        caller,
        chat,
        missing.map((file) => file.fileId),
      );
      await deps.refreshTtl(tenant, live, caller.log);
      // The status below is the files' at this instant; reads recompute it as ingestion goes on.
      const view = chatViewOf(chat, current);
      await deps.chats.create({ ...chat, status: view.status });
      return view;
    },

    /** The chat with its readiness now; another tenant's chat is not found. */
    async getChat(caller: Caller, chatId: string): Promise<ChatView> {
      return (await this.loadChat(caller, chatId)).view;
    },

    /** The chat record and its view; the view's status is stored when it changed. */
    async loadChat(
      caller: Caller,
      chatId: string,
    ): Promise<{ chat: ChatRecord; view: ChatView; files: FileRecord[] }> {
      const { tenant } = caller;
      const chat = await deps.chats.get(tenant.tenantId, chatId);
      if (!chat) throw AppError.notFound('chat');
      const files = await deps.files.getMany(tenant.tenantId, chat.projectId, chat.fileIds);
      const view = chatViewOf(chat, files);
      if (view.status !== chat.status) {
        await deps.chats.setStatus(tenant.tenantId, chatId, view.status);
      }
      return { chat, view, files };
    },

    requestIngestion,
    markLapsed,
  };
}

export type ChatUseCases = ReturnType<typeof createChatUseCases>;

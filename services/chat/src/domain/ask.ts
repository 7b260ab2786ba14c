import { randomUUID } from 'node:crypto';
import {
  AppError,
  NO_ANSWER,
  buildRetrievalFilter,
  type AnswerView,
  type ChatHistoryRepository,
  type ChatRecord,
  type ChatTurn,
  type ChatsRepository,
  type GeneratedAnswer,
  type Generator,
  type KbFileRecord,
  type KbFilesRepository,
  type KnowledgeBase,
  type RetrievalFilter,
  type RetrievedChunk,
  type ServiceMetrics,
} from '@jitkb/shared';
import type { Caller, ChatUseCases } from './chats';
import { epochSeconds, liveRecords, type TtlRefresher } from './file-ttl';
import { chatViewOf } from './readiness';
import { toSources } from './sources';

export interface AskSettings {
  /** Passages below this retrieval score are not used. */
  minScore: number;
  /** Passages retrieved per question. */
  k: number;
  /** Earlier turns of the session used for condensing and generation. */
  historyTurns: number;
  /** Idle seconds after which the next question starts a new session. */
  sessionIdleSeconds: number;
}

export interface AskDeps {
  chatUseCases: Pick<ChatUseCases, 'loadChat' | 'markLapsed' | 'requestIngestion'>;
  chats: ChatsRepository;
  history: ChatHistoryRepository;
  kbFiles: KbFilesRepository;
  knowledgeBase: KnowledgeBase;
  generator: Generator;
  refreshTtl: TtlRefresher;
  settings: AskSettings;
  now: () => Date;
  metrics?: ServiceMetrics;
}

/** What an answer in the making yields: pieces of its text, then the whole answer, once. */
export type AnswerEvent = { type: 'token'; text: string } | { type: 'answer'; answer: AnswerView };

/**
 * An answer in the making. Stopping the iteration early (a client that left) stops the generator
 * and records nothing.
 */
export type Answering = AsyncGenerator<AnswerEvent, void>;

interface Session {
  sessionId: string;
  sessionAt: string;
  providerSessionId: string | undefined;
  /** Earlier turns of this session, oldest first. */
  turns: ChatTurn[];
}

interface Prepared {
  caller: Caller;
  chat: ChatRecord;
  question: string;
  at: Date;
  session: Session;
  live: KbFileRecord[];
  filter: RetrievalFilter;
  /** Passages above the score threshold; undefined when the generator retrieves by itself. */
  context: RetrievedChunk[] | undefined;
}

/**
 * Yields an iterator's pieces as token events and returns its result. When the consumer stops
 * early, the iterator is stopped too, so that a model's response stream is not left open.
 */
async function* relay<R>(pieces: AsyncIterator<string, R>): AsyncGenerator<AnswerEvent, R> {
  let finished = false;
  try {
    for (;;) {
      const step = await pieces.next();
      if (step.done) {
        finished = true;
        return step.value;
      }
      yield { type: 'token', text: step.value };
    }
  } finally {
    if (!finished) await pieces.return?.();
  }
}

/**
 * Answers questions on a ready chat. Everything that can refuse the question (a missing chat, a
 * chat that is not ready) happens before the returned generator yields, so that a refusal is
 * still a plain problem response rather than a broken stream.
 */
export function createAsk(deps: AskDeps) {
  const { settings, generator } = deps;

  async function sessionOf(chat: ChatRecord, at: Date): Promise<Session> {
    const idleMs = at.getTime() - Date.parse(chat.lastInteraction);
    if (idleMs > settings.sessionIdleSeconds * 1000) {
      return {
        sessionId: randomUUID(),
        sessionAt: at.toISOString(),
        providerSessionId: undefined,
        turns: [],
      };
    }
    const recent = await deps.history.recent(chat.chatId, settings.historyTurns);
    const turns = recent
      .filter((message) => message.sessionId === chat.sessionId)
      .map((message) => ({ role: message.role, text: message.text }));
    return {
      sessionId: chat.sessionId,
      sessionAt: chat.sessionAt,
      providerSessionId: chat.providerSessionId,
      turns,
    };
  }

  async function retrieve(query: string, filter: RetrievalFilter): Promise<RetrievedChunk[]> {
    if (filter.fileIds.length === 0) return [];
    const end = deps.metrics?.knowledgeBaseCalls.startTimer({ operation: 'retrieve' });
    try {
      const chunks = await deps.knowledgeBase.retrieve(query, filter, { k: settings.k });
      end?.({ outcome: 'ok' });
      // The knowledge base applies the filter; checking again costs nothing and fails closed.
      const allowed = new Set(filter.fileIds);
      return chunks.filter((c) => allowed.has(c.fileId) && c.score >= settings.minScore);
    } catch (error) {
      end?.({ outcome: 'error' });
      throw error;
    }
  }

  async function prepare(caller: Caller, chatId: string, question: string): Promise<Prepared> {
    const { chat, view, files } = await deps.chatUseCases.loadChat(caller, chatId);
    const at = deps.now();
    const nowSeconds = epochSeconds(at);
    const live = liveRecords(
      caller.tenant,
      chat.projectId,
      await deps.kbFiles.getMany(chat.fileIds),
      nowSeconds,
    );
    const current = await deps.chatUseCases.markLapsed(files, new Set(live.map((r) => r.fileId)));
    const lapsed = current.filter((file) => file.status === 'expired').map((file) => file.fileId);
    await deps.chatUseCases.requestIngestion(caller, chat, lapsed);
    if (view.status !== 'ready') {
      throw AppError.conflict(`the chat is not ready (${view.status})`, {
        type: 'chat-not-ready',
        extensions: { chat: chatViewOf(chat, current) },
      });
    }
    const session = await sessionOf(chat, at);
    const filter = buildRetrievalFilter(caller.tenant, chat.projectId, live, nowSeconds);
    let context: RetrievedChunk[] | undefined;
    if (!generator.retrieveAndGenerate) {
      const query =
        session.turns.length > 0 && generator.condense
          ? await generator.condense(question, session.turns)
          : question;
      context = await retrieve(query, filter);
    }
    return { caller, chat, question, at, session, live, filter, context };
  }

  async function* generate(
    p: Prepared,
  ): AsyncGenerator<string, GeneratedAnswer & { providerSessionId?: string | undefined }> {
    if (p.context === undefined && generator.retrieveAndGenerate) {
      const result = await generator.retrieveAndGenerate({
        question: p.question,
        filter: p.filter,
        sessionId: p.session.providerSessionId,
        k: settings.k,
      });
      yield result.answer;
      return { ...result, providerSessionId: result.sessionId };
    }
    const context = p.context ?? [];
    if (context.length === 0) {
      yield NO_ANSWER;
      return { answer: NO_ANSWER, used: [] };
    }
    const request = { question: p.question, context, history: p.session.turns };
    if (!generator.stream) {
      const result = await generator.generate(request);
      yield result.answer;
      return result;
    }
    return yield* generator.stream(request);
  }

  async function* answer(p: Prepared): Answering {
    const answerId = randomUUID();
    const result = yield* relay(generate(p));
    const noAnswer = result.answer.trim() === NO_ANSWER || result.used.length === 0;
    const text = noAnswer ? NO_ANSWER : result.answer;
    const sources = noAnswer ? [] : toSources(result.used);
    const { tenant, log } = p.caller;
    const { chatId } = p.chat;
    const { sessionId } = p.session;
    await deps.history.append(chatId, [
      { role: 'user', text: p.question, sessionId, createdAt: p.at.toISOString() },
      { role: 'assistant', text, sources, sessionId, messageId: answerId },
    ]);
    await deps.chats.recordInteraction(tenant.tenantId, chatId, {
      lastInteraction: p.at.toISOString(),
      sessionId,
      sessionAt: p.session.sessionAt,
      providerSessionId: result.providerSessionId ?? p.session.providerSessionId,
    });
    await deps.refreshTtl(tenant, p.live, log);
    log.info({ chatId, answerId, sources: sources.length, noAnswer }, 'question answered');
    yield { type: 'answer', answer: { id: answerId, answer: text, sources, sessionId } };
  }

  return {
    /** Checks the chat and retrieves; the returned generator writes, records and refreshes. */
    async ask(caller: Caller, chatId: string, question: string): Promise<Answering> {
      return answer(await prepare(caller, chatId, question));
    },
  };
}

export type AskUseCase = ReturnType<typeof createAsk>;

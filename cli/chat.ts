import type { ApiClient, ChatView, ProjectView } from '../services/gateway/ui/api-client';

export interface Output {
  /** Results: the answer, the sources. */
  out: (text: string) => void;
  /** Progress and statuses. */
  err: (text: string) => void;
}

/** A project by exact name or id; undefined when the tenant has none. */
export async function findProject(
  api: ApiClient,
  nameOrId: string,
): Promise<ProjectView | undefined> {
  const projects = await api.listProjects();
  return projects.find((p) => p.name === nameOrId) ?? projects.find((p) => p.id === nameOrId);
}

const POLL_MS = 1000;

/**
 * Follows a chat until its files are in the knowledge base, printing each file's status as it
 * changes. Throws when the chat fails or the time runs out.
 */
export async function waitUntilReady(
  api: ApiClient,
  chat: ChatView,
  io: Output,
  timeoutMs: number,
): Promise<ChatView> {
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<string, string>();
  let view = chat;
  for (;;) {
    for (const file of view.files) {
      if (seen.get(file.id) === file.status) continue;
      seen.set(file.id, file.status);
      io.err(`  ${file.name}: ${file.status}`);
    }
    if (view.status === 'ready') {
      const ready = view.files.filter((f) => f.status === 'ready').length;
      io.err(`chat ${view.id} is ready (${ready} of ${view.files.length} files)`);
      return view;
    }
    if (view.status === 'failed')
      throw new Error(`chat ${view.id} failed: no file could be prepared`);
    if (Date.now() > deadline) {
      throw new Error(`chat ${view.id} was not ready after ${Math.round(timeoutMs / 1000)} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    view = await api.getChat(view.id);
  }
}

export interface AskOptions {
  project: string;
  question: string;
  /** Continue this chat instead of starting one. */
  chatId?: string | undefined;
  timeoutMs: number;
}

/** `jitkb ask`: a chat on the project (started, or the one given), a streamed answer, sources. */
export async function ask(api: ApiClient, options: AskOptions, io: Output): Promise<void> {
  let chatId = options.chatId;
  if (!chatId) {
    const project = await findProject(api, options.project);
    if (!project) throw new Error(`no project named ${options.project}`);
    const chat = await waitUntilReady(api, await api.startChat(project.id), io, options.timeoutMs);
    chatId = chat.id;
  }
  let streamed = false;
  const answer = await api.ask(chatId, options.question, {
    onToken: (text) => {
      streamed = true;
      io.out(text);
    },
  });
  if (!streamed) io.out(answer.answer);
  io.out('\n');
  if (answer.sources.length === 0) return;
  io.out('\nSources:\n');
  answer.sources.forEach((source, i) => {
    const excerpt = source.excerpt.replace(/\s+/g, ' ').trim();
    io.out(`  [${i + 1}] ${source.fileName} (score ${source.score.toFixed(3)})\n`);
    io.out(`      ${excerpt.length > 200 ? `${excerpt.slice(0, 197)}...` : excerpt}\n`);
  });
  io.err(`chat ${chatId}; continue it with --chat ${chatId}`);
}

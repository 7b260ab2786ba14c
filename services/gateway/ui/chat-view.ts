import {
  ApiError,
  type ApiClient,
  type ChatView,
  type MessageView,
  type ProjectView,
  type SourceView,
} from './api-client';
import { byId, control, h, sleep } from './dom';
import type { Notice } from './notice';

export interface ChatViewDeps {
  api: ApiClient;
  notice: Notice;
  /** While a chat prepares, file statuses change: the file list re-reads them. */
  onFilesChanged: () => Promise<void>;
  /** A question was asked: the tenant's query usage changed. */
  onAsked: () => void;
}

export interface ChatPanel {
  show(project: ProjectView | undefined): Promise<void>;
}

const POLL_MS = 1000;
/** The chat of each project, so that choosing a project again continues its conversation. */
const chatKey = (projectId: string) => `jitkb.chat.${projectId}`;

/** A source that expands to its excerpt: `<details>` is keyboard- and screen-reader-friendly. */
function sourceElement(source: SourceView, index: number): HTMLElement {
  return h(
    'details',
    { class: 'source' },
    h(
      'summary',
      {},
      `[${index + 1}] ${source.fileName}`,
      h('span', { class: 'muted' }, ` score ${source.score.toFixed(3)}`),
    ),
    h('blockquote', {}, source.excerpt),
  );
}

function sourcesElement(sources: SourceView[]): HTMLElement {
  return h('div', { class: 'sources' }, h('h4', {}, 'Sources'), ...sources.map(sourceElement));
}

/** Starting a chat, its readiness file by file, and the conversation with streamed answers. */
export function createChatView(deps: ChatViewDeps): ChatPanel {
  const { api, notice } = deps;
  const startButton = byId('start-chat', HTMLButtonElement);
  const readiness = byId('readiness', HTMLDivElement);
  const bar = byId('readiness-bar', HTMLProgressElement);
  const summary = byId('readiness-summary', HTMLParagraphElement);
  const fileList = byId('readiness-files', HTMLUListElement);
  const conversation = byId('conversation', HTMLOListElement);
  const form = byId('ask-form', HTMLFormElement);
  const question = control(form, 'question', HTMLTextAreaElement);
  const askButton = control(form, 'ask', HTMLButtonElement);
  let project: ProjectView | undefined;
  let chat: ChatView | undefined;
  let active: AbortController | undefined;

  function renderReadiness(view: ChatView): void {
    const ready = view.files.filter((f) => f.status === 'ready').length;
    const total = view.files.length;
    readiness.hidden = false;
    bar.max = Math.max(total, 1);
    bar.value = view.status === 'ready' ? bar.max : ready;
    summary.textContent =
      view.status === 'ready'
        ? `Ready: ${total} file${total === 1 ? '' : 's'} in the knowledge base.`
        : view.status === 'failed'
          ? 'The chat could not be prepared: no file could be ingested.'
          : `Preparing: ${ready} of ${total} files ready…`;
    fileList.replaceChildren(
      ...view.files.map((f) => h('li', { 'data-status': f.status }, `${f.name}: ${f.status}`)),
    );
    form.hidden = view.status !== 'ready';
    startButton.textContent = 'Start a new chat';
  }

  async function follow(chatId: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const view = await api.getChat(chatId);
      if (signal.aborted) return;
      chat = view;
      renderReadiness(view);
      if (view.status !== 'preparing') {
        await deps.onFilesChanged();
        if (view.status === 'ready') question.focus();
        return;
      }
      await deps.onFilesChanged();
      await sleep(POLL_MS, signal);
    }
  }

  function messageElement(
    role: MessageView['role'],
    text: string,
  ): { item: HTMLLIElement; body: HTMLParagraphElement } {
    const body = h('p', { class: 'text' }, text);
    const item = h(
      'li',
      { class: `message ${role}` },
      h('span', { class: 'role' }, role === 'user' ? 'You' : 'jitkb'),
      body,
    );
    conversation.append(item);
    return { item, body };
  }

  async function loadHistory(chatId: string): Promise<void> {
    conversation.replaceChildren();
    for (const message of await api.messages(chatId)) {
      const { item } = messageElement(message.role, message.text);
      if (message.sources && message.sources.length > 0)
        item.append(sourcesElement(message.sources));
    }
  }

  async function start(): Promise<void> {
    if (!project) return;
    const signal = reset();
    try {
      const view = await api.startChat(project.id);
      sessionStorage.setItem(chatKey(project.id), view.id);
      chat = view;
      conversation.replaceChildren();
      renderReadiness(view);
      await follow(view.id, signal);
    } catch (error) {
      notice.error(error, 'Starting the chat failed');
    }
  }

  async function ask(text: string): Promise<void> {
    if (!chat) return;
    askButton.disabled = true;
    const asked = messageElement('user', text).item;
    const { item, body } = messageElement('assistant', '');
    // Screen readers announce the answer once, when it is complete, not token by token.
    body.setAttribute('aria-busy', 'true');
    try {
      const answer = await api.ask(chat.id, text, {
        onToken: (token) => body.append(token),
      });
      body.textContent = answer.answer;
      if (answer.sources.length > 0) item.append(sourcesElement(answer.sources));
      question.value = '';
    } catch (error) {
      // The question stays in the text box, to be asked again; the conversation shows answers only.
      asked.remove();
      item.remove();
      notice.error(error, 'The question failed');
      if (error instanceof ApiError && error.status === 409 && chat) void follow(chat.id, reset());
    } finally {
      body.removeAttribute('aria-busy');
      askButton.disabled = false;
      deps.onAsked();
    }
  }

  /** Stops following the previous chat; returns the signal of what comes next. */
  function reset(): AbortSignal {
    active?.abort();
    active = new AbortController();
    return active.signal;
  }

  startButton.addEventListener('click', () => void start());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = question.value.trim();
    if (text) void ask(text);
  });

  return {
    async show(next) {
      const signal = reset();
      project = next;
      chat = undefined;
      conversation.replaceChildren();
      readiness.hidden = true;
      form.hidden = true;
      startButton.textContent = 'Start a chat';
      const saved = next ? sessionStorage.getItem(chatKey(next.id)) : null;
      if (!next || !saved) return;
      try {
        await loadHistory(saved);
        await follow(saved, signal);
      } catch (error) {
        // A chat that no longer exists (the project was recreated, data was reset) is forgotten.
        if (error instanceof ApiError && error.status === 404)
          sessionStorage.removeItem(chatKey(next.id));
        else notice.error(error, 'Loading the chat failed');
      }
    },
  };
}

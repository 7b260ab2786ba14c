import type { ApiClient, FileView, ProjectView, UiConfig } from './api-client';
import { byId, control, formatBytes, h, sleep, timeElement } from './dom';
import type { Notice } from './notice';
import type { TenantPanel } from './tenant-panel';
import { uploadFile } from './upload';

export interface FilesViewDeps {
  api: ApiClient;
  notice: Notice;
  tenant: TenantPanel;
  supportedTypes: UiConfig['supportedTypes'];
  /** Files were added or removed: usage and project counts changed. */
  onChange: () => void;
}

export interface FilesView {
  show(project: ProjectView | undefined): Promise<void>;
  refresh(): Promise<void>;
}

const STATUS_LABELS: Record<FileView['status'], string> = {
  'pending-upload': 'Waiting for upload',
  uploaded: 'Uploaded',
  ingesting: 'Being prepared',
  ready: 'Ready',
  expired: 'Expired (comes back with the next chat)',
  failed: 'Failed',
};

/** How often statuses are re-read while a file is being prepared. */
const POLL_MS = 2000;

/** The chosen project's files: upload with progress, status and expiry, delete. */
export function createFilesView(deps: FilesViewDeps): FilesView {
  const { api, notice } = deps;
  const form = byId('upload-form', HTMLFormElement);
  const input = control(form, 'files', HTMLInputElement);
  const hint = byId('upload-hint', HTMLParagraphElement);
  const progressList = byId('upload-progress', HTMLUListElement);
  const body = byId('file-table', HTMLTableElement).tBodies[0] ?? h('tbody');
  const extensions = deps.supportedTypes.flatMap((t) => t.extensions);
  input.accept = extensions.join(',');
  let project: ProjectView | undefined;
  let files: FileView[] = [];
  let polling: AbortController | undefined;

  function typeOf(name: string): string | undefined {
    const lower = name.toLowerCase();
    return deps.supportedTypes.find((t) => t.extensions.some((e) => lower.endsWith(e)))
      ?.contentType;
  }

  function render(): void {
    const limits = deps.tenant.current()?.limits;
    hint.textContent =
      `Supported: ${extensions.map((e) => e.slice(1)).join(', ')}` +
      (limits
        ? `; at most ${formatBytes(limits.maxFileBytes)} each, ${limits.maxFilesPerProject} files a project.`
        : '.');
    if (files.length === 0) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No files yet.')));
      return;
    }
    body.replaceChildren(
      ...files.map((file) => {
        const remove = h(
          'button',
          { type: 'button', class: 'danger small', 'aria-label': `Delete ${file.name}` },
          'Delete',
        );
        remove.addEventListener('click', () => void removeFile(file));
        const status = h(
          'span',
          { class: `status status-${file.status}` },
          STATUS_LABELS[file.status],
        );
        if (file.failureReason) status.title = file.failureReason;
        return h(
          'tr',
          { 'data-file-id': file.id },
          h('td', {}, file.name),
          h('td', {}, formatBytes(file.size)),
          h(
            'td',
            {},
            status,
            file.failureReason ? h('div', { class: 'muted' }, file.failureReason) : null,
          ),
          h(
            'td',
            {},
            file.expiresAt ? timeElement(file.expiresAt) : h('span', { class: 'muted' }, 'not yet'),
          ),
          h('td', {}, remove),
        );
      }),
    );
  }

  async function refresh(): Promise<void> {
    const current = project;
    if (!current) return;
    try {
      const items = await api.listFiles(current.id);
      if (project?.id !== current.id) return; // Another project was chosen meanwhile.
      files = items;
      render();
      if (files.some((f) => f.status === 'ingesting')) startPolling();
    } catch (error) {
      notice.error(error, 'Loading files failed');
    }
  }

  function startPolling(): void {
    if (polling) return;
    const controller = new AbortController();
    polling = controller;
    void (async () => {
      while (!controller.signal.aborted) {
        await sleep(POLL_MS, controller.signal);
        if (controller.signal.aborted) break;
        await refresh();
        if (!files.some((f) => f.status === 'ingesting')) break;
      }
      if (polling === controller) polling = undefined;
    })();
  }

  /** Why a file cannot be uploaded, checked before anything is sent. */
  function problemWith(file: File, count: number): string | undefined {
    const limits = deps.tenant.current()?.limits;
    if (!typeOf(file.name)) return `${file.name}: not a supported type (${extensions.join(', ')})`;
    if (file.size === 0) return `${file.name}: the file is empty`;
    if (limits && file.size > limits.maxFileBytes) {
      return `${file.name}: ${formatBytes(file.size)} is over your tier's limit of ${formatBytes(limits.maxFileBytes)}`;
    }
    if (limits && count > limits.maxFilesPerProject) {
      return `${file.name}: your tier allows ${limits.maxFilesPerProject} files a project`;
    }
    return undefined;
  }

  async function uploadOne(projectId: string, file: File): Promise<void> {
    const bar = h('progress', { max: 100, value: 0, 'aria-label': `Upload of ${file.name}` });
    const state = h('span', { class: 'muted' }, 'starting');
    const item = h('li', {}, h('span', {}, file.name), bar, state);
    progressList.append(item);
    try {
      const created = await api.createFile(projectId, {
        name: file.name,
        contentType: typeOf(file.name) ?? file.type,
        size: file.size,
      });
      await uploadFile(created.upload, file, (loaded, total) => {
        bar.value = total > 0 ? Math.round((loaded / total) * 100) : 100;
        state.textContent = `${bar.value}%`;
      });
      await api.completeFile(projectId, created.id);
      state.textContent = 'uploaded';
      item.classList.add('done');
    } catch (error) {
      state.textContent = 'failed';
      item.classList.add('failed');
      notice.error(error, `Uploading ${file.name} failed`);
    }
  }

  async function upload(selected: File[]): Promise<void> {
    const current = project;
    if (!current || selected.length === 0) return;
    const problems = selected
      .map((file, i) => problemWith(file, files.length + i + 1))
      .filter((p) => p !== undefined);
    if (problems.length > 0) {
      notice.error(new Error(problems.join('; ')));
      return;
    }
    notice.clear();
    progressList.replaceChildren();
    // One after another: the tier's file count is checked per upload, in order.
    for (const file of selected) await uploadOne(current.id, file);
    input.value = '';
    deps.onChange();
    await refresh();
  }

  async function removeFile(file: FileView): Promise<void> {
    if (!project || !window.confirm(`Delete ${file.name}?`)) return;
    try {
      await api.deleteFile(project.id, file.id);
      deps.onChange();
      await refresh();
    } catch (error) {
      notice.error(error, `Deleting ${file.name} failed`);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void upload([...(input.files ?? [])]);
  });

  return {
    async show(next) {
      polling?.abort();
      polling = undefined;
      project = next;
      files = [];
      progressList.replaceChildren();
      if (next) {
        render();
        await refresh();
      }
    },
    refresh,
  };
}

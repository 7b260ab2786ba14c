import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ApiClient, FileView, UiConfig } from '../services/gateway/ui/api-client';
import { findProject, waitUntilReady, type Output } from './chat';
import { formatBytes, progressLine } from './progress';
import { uploadTo } from './upload';

export interface IngestOptions {
  dir: string;
  project: string;
  timeoutMs: number;
  supportedTypes: UiConfig['supportedTypes'];
}

interface LocalFile {
  name: string;
  path: string;
  size: number;
  contentType: string;
}

/** The supported files directly in `dir`, by name; anything else is reported and left out. */
async function localFiles(options: IngestOptions, io: Output): Promise<LocalFile[]> {
  const entries = await readdir(options.dir, { withFileTypes: true });
  const files: LocalFile[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile()) continue;
    const lower = entry.name.toLowerCase();
    const type = options.supportedTypes.find((t) => t.extensions.some((e) => lower.endsWith(e)));
    if (!type) {
      io.err(`skipping ${entry.name}: not a supported type`);
      continue;
    }
    const full = path.join(options.dir, entry.name);
    files.push({
      name: entry.name,
      path: full,
      size: (await stat(full)).size,
      contentType: type.contentType,
    });
  }
  return files;
}

/** A file the project already holds, so that running ingest again uploads only what is new. */
function alreadyThere(existing: FileView[], file: LocalFile): FileView | undefined {
  return existing.find(
    (f) =>
      f.name === file.name &&
      f.size === file.size &&
      f.status !== 'pending-upload' &&
      f.status !== 'failed',
  );
}

async function uploadOne(api: ApiClient, projectId: string, file: LocalFile): Promise<void> {
  const line = progressLine(`  ${file.name}`);
  line.update(0, formatBytes(file.size));
  const bytes = await readFile(file.path);
  const created = await api.createFile(projectId, {
    name: file.name,
    contentType: file.contentType,
    size: bytes.length,
  });
  await uploadTo(created.upload, file.name, bytes, (sent) =>
    line.update(
      bytes.length > 0 ? sent / bytes.length : 1,
      `${formatBytes(sent)} of ${formatBytes(bytes.length)}`,
    ),
  );
  await api.completeFile(projectId, created.id);
  line.done(`uploaded (${formatBytes(bytes.length)})`);
}

/**
 * `jitkb ingest DIR --project NAME`: creates the project or reuses it, uploads every supported
 * file of DIR (create, upload to the returned target, complete), then starts a chat and waits for
 * the files to be in the knowledge base.
 */
export async function ingest(api: ApiClient, options: IngestOptions, io: Output): Promise<void> {
  const files = await localFiles(options, io);
  if (files.length === 0) throw new Error(`${options.dir} holds no supported file`);
  let project = await findProject(api, options.project);
  if (project) {
    io.err(`project ${project.name} (${project.id})`);
  } else {
    project = await api.createProject(options.project);
    io.err(`created project ${project.name} (${project.id})`);
  }
  const existing = await api.listFiles(project.id);
  io.err(`uploading ${files.length} file${files.length === 1 ? '' : 's'}`);
  for (const file of files) {
    if (alreadyThere(existing, file)) {
      io.err(`  ${file.name} already uploaded`);
      continue;
    }
    await uploadOne(api, project.id, file);
  }
  io.err('starting a chat');
  const chat = await waitUntilReady(api, await api.startChat(project.id), io, options.timeoutMs);
  io.out(`${chat.id}\n`);
}

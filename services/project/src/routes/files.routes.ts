import {
  completeFileBody,
  createFileBody,
  fileParams,
  jsonBody,
  projectParams,
} from '@jitkb/shared';
import { Router } from 'express';
import type { FileUseCases } from '../domain/files';
import { callerOf, toFileView } from './views';

/** The file routes under /v1/projects/:id/files. */
export function filesRouter(useCases: FileUseCases): Router {
  const router = Router();

  router.post('/v1/projects/:id/files', ...jsonBody(), async (req, res) => {
    const caller = callerOf(req);
    const { id } = projectParams.parse(req.params);
    const body = createFileBody.parse(req.body);
    const { file, upload } = await useCases.createFile(caller, id, body);
    res.status(201).json({ ...toFileView(file), upload });
  });

  router.post('/v1/projects/:id/files/:fileId/complete', ...jsonBody(), async (req, res) => {
    const caller = callerOf(req);
    const { id, fileId } = fileParams.parse(req.params);
    completeFileBody.parse(req.body);
    const file = await useCases.completeUpload(caller, { projectId: id, fileId });
    res.json(toFileView(file));
  });

  router.get('/v1/projects/:id/files', async (req, res) => {
    const caller = callerOf(req);
    const { id } = projectParams.parse(req.params);
    const files = await useCases.listFiles(caller, id);
    res.json({ items: files.map(toFileView) });
  });

  router.delete('/v1/projects/:id/files/:fileId', async (req, res) => {
    const caller = callerOf(req);
    const { id, fileId } = fileParams.parse(req.params);
    await useCases.deleteFile(caller, { projectId: id, fileId }, req.correlationId);
    res.status(204).end();
  });

  return router;
}

import { createProjectBody, jsonBody, projectParams } from '@jitkb/shared';
import { Router } from 'express';
import type { ProjectUseCases } from '../domain/projects';
import { callerOf, toProjectView } from './views';

/** POST/GET /v1/projects, GET/DELETE /v1/projects/:id. */
export function projectsRouter(useCases: ProjectUseCases): Router {
  const router = Router();

  router.post('/v1/projects', ...jsonBody(), async (req, res) => {
    const caller = callerOf(req);
    const body = createProjectBody.parse(req.body);
    const project = await useCases.createProject(caller, body);
    res.status(201).json(toProjectView(project));
  });

  router.get('/v1/projects', async (req, res) => {
    const projects = await useCases.listProjects(callerOf(req));
    res.json({ items: projects.map(toProjectView) });
  });

  router.get('/v1/projects/:id', async (req, res) => {
    const caller = callerOf(req);
    const { id } = projectParams.parse(req.params);
    res.json(toProjectView(await useCases.getProject(caller, id)));
  });

  router.delete('/v1/projects/:id', async (req, res) => {
    const caller = callerOf(req);
    const { id } = projectParams.parse(req.params);
    await useCases.deleteProject(caller, id, req.correlationId);
    res.status(204).end();
  });

  return router;
}

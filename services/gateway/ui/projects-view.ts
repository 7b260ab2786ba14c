import type { ApiClient, ProjectView } from './api-client';
import { byId, control, h } from './dom';
import type { Notice } from './notice';

export interface ProjectsViewDeps {
  api: ApiClient;
  notice: Notice;
  /** A project was chosen (undefined: the chosen one was deleted). */
  onSelect: (project: ProjectView | undefined) => void;
  /** Projects were created or deleted: the tenant's usage changed. */
  onChange: () => void;
}

export interface ProjectsView {
  refresh(): Promise<void>;
}

/** The tenant's projects: list, create, choose, delete. */
export function createProjectsView(deps: ProjectsViewDeps): ProjectsView {
  const { api, notice } = deps;
  const list = byId('project-list', HTMLUListElement);
  const form = byId('create-project', HTMLFormElement);
  const nameInput = control(form, 'name', HTMLInputElement);
  let selectedId: string | undefined;

  function render(projects: ProjectView[]): void {
    if (projects.length === 0) {
      list.replaceChildren(h('li', { class: 'empty' }, 'No projects yet.'));
      return;
    }
    list.replaceChildren(
      ...projects.map((project) => {
        const open = h(
          'button',
          {
            type: 'button',
            class: 'link',
            'aria-current': project.id === selectedId ? 'true' : undefined,
          },
          project.name,
        );
        open.addEventListener('click', () => {
          selectedId = project.id;
          render(projects);
          deps.onSelect(project);
        });
        const remove = h(
          'button',
          { type: 'button', class: 'danger small', 'aria-label': `Delete project ${project.name}` },
          'Delete',
        );
        remove.addEventListener('click', () => void removeProject(project));
        const count = `${project.fileCount} file${project.fileCount === 1 ? '' : 's'}`;
        return h('li', {}, open, h('span', { class: 'muted' }, count), remove);
      }),
    );
  }

  async function refresh(): Promise<void> {
    try {
      render(await api.listProjects());
    } catch (error) {
      notice.error(error, 'Loading projects failed');
    }
  }

  async function removeProject(project: ProjectView): Promise<void> {
    if (!window.confirm(`Delete project "${project.name}" and all its files?`)) return;
    try {
      await api.deleteProject(project.id);
      if (selectedId === project.id) {
        selectedId = undefined;
        deps.onSelect(undefined);
      }
      // After onSelect, which clears the notices of the project it leaves.
      notice.info(`Project "${project.name}" deleted.`);
      deps.onChange();
      await refresh();
    } catch (error) {
      notice.error(error, 'Deleting the project failed');
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) return;
    void (async () => {
      try {
        const project = await api.createProject(name);
        nameInput.value = '';
        selectedId = project.id;
        deps.onChange();
        await refresh();
        deps.onSelect(project);
      } catch (error) {
        notice.error(error, 'Creating the project failed');
      }
    })();
  });

  return { refresh };
}

import { ApiClient, fetchUiConfig, type ProjectView, type UiConfig } from './api-client';
import {
  beginOidcSignIn,
  completeOidcSignIn,
  currentSession,
  signInWithDevToken,
  signOut,
  type Session,
} from './auth';
import { createChatView } from './chat-view';
import { byId, control } from './dom';
import { createFilesView } from './files-view';
import { createNotice, type Notice } from './notice';
import { createProjectsView } from './projects-view';
import { createTenantPanel } from './tenant-panel';

/** The page's entry point: sign-in first, then the workspace (tenant, projects, files, chat). */

/** A message that must survive the reload that follows it (an expired session). */
const FLASH_KEY = 'jitkb.flash';

function showSignIn(config: UiConfig, notice: Notice, onSignedIn: (s: Session) => void): void {
  byId('sign-in', HTMLElement).hidden = false;
  byId('workspace', HTMLDivElement).hidden = true;
  const { signIn } = config;
  if (signIn.kind === 'dev') {
    const form = byId('dev-sign-in', HTMLFormElement);
    const tier = control(form, 'tier', HTMLSelectElement);
    tier.replaceChildren(...signIn.tiers.map((name) => new Option(name, name)));
    form.hidden = false;
    form.onsubmit = (event) => {
      event.preventDefault();
      const value = (name: string) => control(form, name, HTMLInputElement).value.trim();
      const email = value('email');
      signInWithDevToken({
        tenantId: value('tenantId'),
        userId: value('userId'),
        ...(email ? { email } : {}),
        tier: tier.value,
      }).then(onSignedIn, (error: unknown) => notice.error(error, 'Sign-in failed'));
    };
  } else if (signIn.kind === 'oidc') {
    const section = byId('oidc-sign-in', HTMLDivElement);
    section.hidden = false;
    byId('oidc-button', HTMLButtonElement).onclick = () => {
      beginOidcSignIn(signIn).catch((error: unknown) => notice.error(error, 'Sign-in failed'));
    };
  } else {
    byId('no-sign-in', HTMLParagraphElement).hidden = false;
  }
}

function showWorkspace(
  config: UiConfig,
  session: Session,
  notice: Notice,
  onSignOut: () => void,
): void {
  byId('sign-in', HTMLElement).hidden = true;
  byId('workspace', HTMLDivElement).hidden = false;
  byId('identity', HTMLDivElement).hidden = false;
  byId('identity-text', HTMLSpanElement).textContent = `Signed in as ${session.subject}`;

  const api = new ApiClient({
    baseUrl: '',
    token: () => session.token,
    onUnauthorized: () => {
      signOut();
      sessionStorage.setItem(FLASH_KEY, 'Your session has ended. Sign in again.');
      onSignOut();
    },
  });
  const tenant = createTenantPanel(api, notice);
  const refreshTenant = () => void tenant.refresh();
  const files = createFilesView({
    api,
    notice,
    tenant,
    supportedTypes: config.supportedTypes,
    onChange: () => {
      refreshTenant();
      void projects.refresh();
    },
  });
  const chat = createChatView({
    api,
    notice,
    onFilesChanged: () => files.refresh(),
    onAsked: refreshTenant,
  });
  const projectSection = byId('project', HTMLElement);
  const select = (project: ProjectView | undefined) => {
    notice.clear();
    projectSection.hidden = project === undefined;
    byId('project-title', HTMLHeadingElement).textContent = project ? project.name : '';
    void files.show(project);
    void chat.show(project);
  };
  const projects = createProjectsView({ api, notice, onSelect: select, onChange: refreshTenant });
  void Promise.all([tenant.refresh(), projects.refresh()]);
}

async function main(): Promise<void> {
  const notice = createNotice();
  const flash = sessionStorage.getItem(FLASH_KEY);
  sessionStorage.removeItem(FLASH_KEY);
  if (flash) notice.error(new Error(flash));
  let config: UiConfig;
  try {
    config = await fetchUiConfig('');
  } catch (error) {
    notice.error(error, 'The gateway could not be reached');
    return;
  }
  const reload = () => window.location.reload();
  byId('sign-out', HTMLButtonElement).onclick = () => {
    signOut();
    reload();
  };
  let session = currentSession();
  if (!session && config.signIn.kind === 'oidc') {
    try {
      session = await completeOidcSignIn(config.signIn);
    } catch (error) {
      notice.error(error);
    }
  }
  if (session) showWorkspace(config, session, notice, reload);
  else showSignIn(config, notice, (s) => showWorkspace(config, s, notice, reload));
}

main().catch((error: unknown) => {
  // Only a page that does not match this script ends here: say so where anyone can see it.
  document.body.prepend(
    `The page failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
});

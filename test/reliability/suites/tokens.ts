import { SERVICES } from '../../e2e/system';
import { recordFigures } from '../support/figures';
import { isProblem, send } from '../support/http';
import { snapshot } from '../support/rig';
import type { Define } from '../support/define';
import { forgeTokens } from '../support/tokens';

/**
 * Bad tokens: every one is a 401 problem at the gateway and at each service that serves /v1
 * routes; ingestion and janitor serve none (a 404 whatever the token).
 */
export function describeTokens(define: Define): void {
  define(
    'answers 401 to every forged, expired or misdirected token, everywhere',
    async (rig) => {
      const { system } = rig;
      const tenant = await rig.newTenant('tokens');
      const victim = await rig.newTenant('victim');
      const victimProject = await victim.createProject('Victim');
      const before = await snapshot(victim);
      const forged = await forgeTokens(system, {
        tenantId: tenant.tenantId,
        userId: tenant.userId,
        valid: tenant.token,
        victim: victim.tenantId,
      });

      const unknownChat = '00000000-0000-4000-8000-000000000000';
      const targets: Array<{
        where: string;
        method: string;
        url: string;
        json?: unknown;
        valid: number;
      }> = [
        { where: 'gateway', method: 'GET', url: `${system.url}/v1/projects`, valid: 200 },
        {
          where: 'gateway',
          method: 'GET',
          url: `${system.url}/v1/projects/${victimProject}`,
          valid: 404,
        },
        {
          where: 'gateway',
          method: 'POST',
          url: `${system.url}/v1/projects`,
          json: { name: 'forged' },
          valid: 201,
        },
        {
          where: 'gateway',
          method: 'GET',
          url: `${system.url}/v1/chats/${unknownChat}`,
          valid: 404,
        },
        {
          where: 'project',
          method: 'GET',
          url: `${system.services.project}/v1/projects`,
          valid: 200,
        },
        {
          where: 'project',
          method: 'POST',
          url: `${system.services.project}/v1/projects`,
          json: { name: 'forged' },
          valid: 201,
        },
        {
          where: 'project',
          method: 'GET',
          url: `${system.services.project}/v1/tenant`,
          valid: 200,
        },
        {
          where: 'chat',
          method: 'GET',
          url: `${system.services.chat}/v1/chats/${unknownChat}`,
          valid: 404,
        },
        {
          where: 'chat',
          method: 'POST',
          url: `${system.services.chat}/v1/projects/${victimProject}/chats`,
          json: {},
          valid: 404,
        },
      ];
      const unexpected: string[] = [];
      let probes = 0;
      for (const target of targets) {
        // The real token works there: the 401s below are about the token alone.
        const control = await send(target.url, {
          method: target.method,
          token: tenant.token,
          ...(target.json !== undefined ? { json: target.json } : {}),
        });
        if (control.status !== target.valid) {
          unexpected.push(
            `${target.where} ${target.method} ${target.url} with the real token: ${control.status}`,
          );
        }
        for (const token of forged) {
          probes += 1;
          const reply = await send(target.url, {
            method: target.method,
            ...(token.authorization ? { headers: { authorization: token.authorization } } : {}),
            ...(target.json !== undefined ? { json: target.json } : {}),
          });
          if (reply.status !== 401 || !isProblem(reply)) {
            unexpected.push(
              `${target.where} ${target.method} ${target.url} ${token.name}: ${reply.status} ${reply.text.slice(0, 200)}`,
            );
          }
        }
      }
      // Ingestion and janitor have no tenant routes at all: nothing answers 2xx whatever the token.
      let internalProbes = 0;
      for (const service of SERVICES.filter((s) => s === 'ingestion' || s === 'janitor')) {
        for (const token of forged) {
          internalProbes += 1;
          const reply = await send(`${system.services[service]}/v1/projects`, {
            ...(token.authorization ? { headers: { authorization: token.authorization } } : {}),
          });
          if (reply.status < 400 || reply.status >= 500) {
            unexpected.push(`${service} /v1/projects ${token.name}: ${reply.status}`);
          }
        }
      }
      recordFigures(rig.mode, 'tokens', {
        'kinds of bad token': forged.length,
        'probes at gateway, project and chat': probes,
        'answered 401 problem+json':
          probes - unexpected.filter((u) => !u.includes('real token')).length,
        'probes at ingestion and janitor (no /v1 routes: 404)': internalProbes,
        unexpected: unexpected.length,
      });
      expect(unexpected).toEqual([]);
      // The forged requests created nothing, in the victim's tenant or anywhere.
      expect(await snapshot(victim)).toEqual(before);
    },
    60_000,
  );
}

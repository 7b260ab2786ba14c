/**
 * Checks on `docker-compose config` output (anchors merged, variables filled in): the emulators,
 * the init job, the dev issuer, and each service on the aws adapters with the names that
 * `localstack/setup.ts --prefix jitkb` creates.
 */
import path from 'node:path';
import { asRecord, check, text, type Doc } from './validate-manifests-support';

const ROOT = path.resolve(__dirname, '..');

const PREFIX = 'jitkb';
const ACCOUNT = '000000000000';
const CONSUMERS = ['project', 'chat', 'ingestion', 'janitor'];
const TABLES: Record<string, string> = {
  TABLE_PROJECTS: 'projects',
  TABLE_FILES: 'files',
  TABLE_KB_FILES: 'kb-files',
  TABLE_CHATS: 'chats',
  TABLE_CHAT_HISTORY: 'chat-history',
  TABLE_RATE_LIMITS: 'rate-limits',
  TABLE_LEASES: 'leases',
};
/** Read by the AWS SDK rather than a zod schema. */
const SDK_VARIABLES = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);

function environment(service: Doc | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(asRecord(service?.environment) ?? {}).map(([k, v]) => [k, text(v)]),
  );
}

function dependsOn(service: Doc | undefined, on: string, condition: string): string[] {
  const dep = asRecord(asRecord(service?.depends_on)?.[on]);
  return dep?.condition === condition ? [] : [`not after ${on} (${condition})`];
}

/**
 * The image of `service` comes from the root Dockerfile with SERVICE = `image` and, where the
 * container sets PORT, the same PORT, so that EXPOSE and the image's health check agree with it.
 */
function buildProblems(service: Doc | undefined, image: string): string[] {
  const build = asRecord(service?.build);
  if (!build) return ['no build'];
  const args = asRecord(build.args) ?? {};
  const port = environment(service).PORT;
  return [
    ...(path.resolve(text(build.context)) === ROOT ? [] : [`context ${text(build.context)}`]),
    ...(text(build.dockerfile) === 'Dockerfile' ? [] : [`dockerfile ${text(build.dockerfile)}`]),
    ...(text(args.SERVICE) === image ? [] : [`SERVICE is ${text(args.SERVICE) || 'unset'}`]),
    ...(/^\d+$/.test(text(args.PORT)) ? [] : [`PORT is ${text(args.PORT) || 'unset'}`]),
    ...(port === undefined || text(args.PORT) === port
      ? []
      : [`PORT ${text(args.PORT)}, but the container's is ${port}`]),
  ];
}

/** One aws-mode service: names, its own queue, the dev issuer, start order, health check. */
function awsServiceProblems(
  name: string,
  service: Doc | undefined,
  issuer: string,
  knownEnv: Set<string>,
) {
  if (!service) return ['missing'];
  const env = environment(service);
  const endpoint = env.AWS_ENDPOINT_URL ?? '';
  const region = env.AWS_REGION ?? '';
  const expected: Record<string, string> = {
    JITKB_MODE: 'aws',
    EVENTS_TOPIC_ARN: `arn:aws:sns:${region}:${ACCOUNT}:${PREFIX}-events`,
    BUCKET_NAME: `${PREFIX}-uploads`,
    ...Object.fromEntries(Object.entries(TABLES).map(([k, t]) => [k, `${PREFIX}-${t}`])),
  };
  if (CONSUMERS.includes(name)) {
    expected[`QUEUE_URL_${name.toUpperCase()}`] = `${endpoint}/${ACCOUNT}/${PREFIX}-${name}`;
  }
  return [
    ...(endpoint.startsWith('http') ? [] : ['no AWS_ENDPOINT_URL']),
    ...Object.entries(expected)
      .filter(([k, v]) => env[k] !== v)
      .map(([k, v]) => `${k} is ${env[k] ?? 'unset'}, expected ${v}`),
    ...Object.keys(env)
      .filter((k) => k.startsWith('QUEUE_URL_') && k !== `QUEUE_URL_${name.toUpperCase()}`)
      .map((k) => `${k} belongs to another service`),
    ...Object.keys(env)
      .filter((k) => !knownEnv.has(k) && !SDK_VARIABLES.has(k))
      .map((k) => `unknown variable ${k}`),
    ...(env.OIDC_ISSUER === issuer ? [] : [`OIDC_ISSUER is not the dev issuer ${issuer}`]),
    ...(env.OIDC_JWKS_URL === `${issuer}/jwks` ? [] : ['OIDC_JWKS_URL is not the dev issuer’s']),
    ...(name !== 'gateway' ||
    (env.PROJECT_URL?.startsWith('http://project:') && env.CHAT_URL?.startsWith('http://chat:'))
      ? []
      : ['PROJECT_URL or CHAT_URL not the compose services']),
    ...dependsOn(service, 'init', 'service_completed_successfully'),
    ...dependsOn(service, 'dev-issuer', 'service_healthy'),
    ...(asRecord(service.healthcheck)?.test ? [] : ['no healthcheck']),
  ];
}

export function validateCompose(label: string, config: Doc, knownEnv: Set<string>): void {
  const services = asRecord(config.services) ?? {};
  const service = (name: string) => asRecord(services[name]);
  const profiles = (name: string) => {
    const list = service(name)?.profiles;
    return Array.isArray(list) ? list.map(text) : [];
  };

  check(
    label,
    'images pinned (no latest, no untagged)',
    Object.entries(services)
      .map(([name, s]) => [name, text(asRecord(s)?.image)])
      .filter(([, image]) => !/:[\w.-]+$/.test(image ?? '') || image?.endsWith(':latest'))
      .map(([name, image]) => `${name}: ${image || 'no image'}`),
  );
  const localstack = environment(service('localstack'));
  check(label, 'LocalStack by default, with LOCALSTACK_AUTH_TOKEN passed through', [
    ...(service('localstack') ? [] : ['no localstack service']),
    ...(profiles('localstack').length === 0 ? [] : ['localstack sits in a profile']),
    ...('LOCALSTACK_AUTH_TOKEN' in localstack ? [] : ['no LOCALSTACK_AUTH_TOKEN']),
  ]);
  check(label, "moto's server in the moto profile", [
    ...(text(service('moto')?.image).startsWith('motoserver/moto:') ? [] : ['no motoserver/moto']),
    ...(profiles('moto').includes('moto') ? [] : ['not in profile moto']),
  ]);
  const init = service('init');
  const initEnv = environment(init);
  const gatewayEnv = environment(service('gateway'));
  check(label, 'init runs localstack/setup.ts on the services’ endpoint', [
    ...(JSON.stringify(init?.command ?? '').includes('localstack/setup.ts') ? [] : ['no setup.ts']),
    ...(initEnv.AWS_ENDPOINT_URL === gatewayEnv.AWS_ENDPOINT_URL ? [] : ['other endpoint']),
    ...(JSON.stringify(init?.command ?? '').includes(`--prefix ${PREFIX}`) ? [] : ['no --prefix']),
  ]);
  const issuerEnv = environment(service('dev-issuer'));
  check(label, 'dev-issuer: the gateway image in embedded mode, health-checked', [
    ...(text(service('dev-issuer')?.image) === text(service('gateway')?.image) ? [] : ['image']),
    ...(issuerEnv.JITKB_MODE === 'embedded' ? [] : ['not embedded']),
    ...(asRecord(service('dev-issuer')?.healthcheck)?.test ? [] : ['no healthcheck']),
  ]);
  const images: Record<string, string> = {
    init: 'gateway',
    'dev-issuer': 'gateway',
    gateway: 'gateway',
    ...Object.fromEntries(CONSUMERS.map((consumer) => [consumer, consumer])),
  };
  for (const [name, image] of Object.entries(images)) {
    check(
      label,
      `${name}: built from the root Dockerfile as ${image}`,
      buildProblems(service(name), image),
    );
  }
  // The gateway's dev issuer signs with `iss` = its public URL + /dev/oidc.
  const issuer = `${issuerEnv.JITKB_PUBLIC_URL ?? 'http://unset'}/dev/oidc`;
  for (const name of ['gateway', ...CONSUMERS]) {
    const problems = awsServiceProblems(name, service(name), issuer, knownEnv);
    check(label, `${name} on the aws adapters`, problems);
  }
}

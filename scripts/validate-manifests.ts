/**
 * Validates deployment manifests offline, one line per check, exit 1 on any failure:
 *
 *   tsx scripts/validate-manifests.ts ["helm pooled="]rendered.yaml ...
 *
 * Kubernetes files (the rendered files given, and k8s/*.yaml): every document against its kubernetes-models
 * schema, then the rules the chart promises (non-root, read-only root with /tmp, probes on /healthz
 * and /readyz, resources) and the references between objects. Files under k8s/istio/ (CRDs) and
 * k8s/aws/ (CloudFormation) get a YAML parse and a kind check; the TTL-expiry Pipe's filter and
 * input template are also run on recorded-shape DynamoDB stream records.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, type Tags } from 'yaml';
import { eventEnvelope } from '../shared/src/events/events';
import { validateCompose } from './validate-compose';
import {
  asRecord,
  check,
  report,
  text,
  cfnTags,
  knownEnvironmentVariables,
  matchesPattern,
  renderInputTemplate,
  sampleStreamRecords,
  type Doc,
} from './validate-manifests-support';

const ROOT = path.resolve(__dirname, '..');
const SERVICES = ['gateway', 'project', 'chat', 'ingestion', 'janitor'];
const ISTIO_KINDS = new Set([
  'Gateway',
  'VirtualService',
  'DestinationRule',
  'RequestAuthentication',
  'AuthorizationPolicy',
  'PeerAuthentication',
]);

function parseFile(file: string, label: string, customTags?: Tags): Doc[] | undefined {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), customTags ? { customTags } : {});
  const list = Array.isArray(docs) ? docs : [docs];
  const errors = list.flatMap((d) => d.errors.map((e) => e.message));
  check(label, 'YAML parses', errors);
  if (errors.length > 0) return undefined;
  return list.map((d) => asRecord(d.toJS())).filter((d): d is Doc => d !== undefined);
}

const name = (doc: Doc): string => text(asRecord(doc.metadata)?.name) || '(unnamed)';

async function validateModel(doc: Doc): Promise<string[]> {
  const apiVersion = text(doc.apiVersion);
  const kind = text(doc.kind);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(`kubernetes-models/${apiVersion}`)) as Record<string, unknown>;
  } catch {
    return [`no model for apiVersion ${apiVersion}`];
  }
  const Model = exports[kind];
  if (typeof Model !== 'function') return [`no model for ${apiVersion} ${kind}`];
  try {
    const model = new (Model as new (data: unknown) => { validate(): void })(doc);
    model.validate();
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

/** What the chart and the plain manifests promise about every workload. */
function workloadRules(doc: Doc): string[] {
  const pod = asRecord(asRecord(asRecord(doc.spec)?.template)?.spec) ?? {};
  const podSecurity = asRecord(pod.securityContext) ?? {};
  const containers = (Array.isArray(pod.containers) ? pod.containers : []).map(asRecord);
  const tmpVolumes = new Set(
    (Array.isArray(pod.volumes) ? pod.volumes : [])
      .map(asRecord)
      .filter((v) => v?.emptyDir !== undefined)
      .map((v) => text(v?.name)),
  );
  const problems: string[] = [];
  if (!pod.serviceAccountName) problems.push('no serviceAccountName');
  for (const c of containers) {
    const sc = asRecord(c?.securityContext) ?? {};
    const probePath = (probe: unknown) => asRecord(asRecord(probe)?.httpGet)?.path;
    if (sc.runAsNonRoot !== true && podSecurity.runAsNonRoot !== true)
      problems.push('may run as root');
    if (sc.readOnlyRootFilesystem !== true) problems.push('root filesystem writable');
    if (sc.allowPrivilegeEscalation !== false) problems.push('privilege escalation allowed');
    if (probePath(c?.livenessProbe) !== '/healthz') problems.push('liveness probe not on /healthz');
    if (probePath(c?.readinessProbe) !== '/readyz') problems.push('readiness probe not on /readyz');
    if (!asRecord(asRecord(c?.resources)?.requests)) problems.push('no resource requests');
    const mounts = (Array.isArray(c?.volumeMounts) ? c.volumeMounts : []).map(asRecord);
    if (!mounts.some((m) => m?.mountPath === '/tmp' && tmpVolumes.has(text(m.name))))
      problems.push('no emptyDir on /tmp');
  }
  return containers.length === 0 ? ['no containers'] : problems;
}

function labelsMatch(selector: unknown, labels: unknown): boolean {
  const wanted = asRecord(selector);
  const have = asRecord(labels) ?? {};
  return !!wanted && Object.entries(wanted).every(([k, v]) => have[k] === v);
}

/** Checks between the objects of one group (a Helm render, or k8s/*.yaml together). */
function crossChecks(label: string, docs: Doc[], knownEnv: Set<string>): void {
  const of = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployments = of('Deployment');
  const podLabels = deployments.map(
    (d) => asRecord(asRecord(asRecord(d.spec)?.template)?.metadata)?.labels,
  );
  const component = (d: Doc) =>
    asRecord(asRecord(d.metadata)?.labels)?.['app.kubernetes.io/component'];
  for (const kind of ['Deployment', 'Service']) {
    const have = new Set(of(kind).map(component));
    check(
      label,
      `a ${kind} for each of the five services`,
      SERVICES.filter((s) => !have.has(s)).map((s) => `no ${s}`),
    );
  }
  check(
    label,
    'Service selectors select a Deployment',
    of('Service')
      .filter((s) => !podLabels.some((l) => labelsMatch(asRecord(s.spec)?.selector, l)))
      .map((s) => name(s)),
  );
  check(
    label,
    'PodDisruptionBudgets and HPAs target a Deployment',
    [
      ...of('PodDisruptionBudget').filter(
        (p) =>
          !podLabels.some((l) => labelsMatch(asRecord(asRecord(p.spec)?.selector)?.matchLabels, l)),
      ),
      ...of('HorizontalPodAutoscaler').filter(
        (h) =>
          !deployments.some((d) => name(d) === asRecord(asRecord(h.spec)?.scaleTargetRef)?.name),
      ),
    ].map((o) => `${text(o.kind)} ${name(o)}`),
  );
  const configMaps = new Set(of('ConfigMap').map(name));
  const accounts = of('ServiceAccount');
  check(
    label,
    'Deployments use an IRSA ServiceAccount and an existing ConfigMap',
    deployments.flatMap((d) => {
      const pod = asRecord(asRecord(asRecord(d.spec)?.template)?.spec) ?? {};
      const account = accounts.find((a) => name(a) === pod.serviceAccountName);
      const roleArn = asRecord(asRecord(account?.metadata)?.annotations)?.[
        'eks.amazonaws.com/role-arn'
      ];
      const refs = (Array.isArray(pod.containers) ? pod.containers : [])
        .flatMap((c) =>
          Array.isArray(asRecord(c)?.envFrom) ? (asRecord(c)?.envFrom as unknown[]) : [],
        )
        .map((e) => asRecord(asRecord(e)?.configMapRef)?.name)
        .filter((n) => n !== undefined);
      return [
        ...(typeof roleArn === 'string' && roleArn.startsWith('arn:')
          ? []
          : [`${name(d)}: no role-arn`]),
        ...refs
          .filter((r) => !configMaps.has(text(r)))
          .map((r) => `${name(d)}: no ConfigMap ${text(r)}`),
      ];
    }),
  );
  for (const doc of [...of('ConfigMap'), ...of('Secret')]) {
    const keys = Object.keys({ ...asRecord(doc.data), ...asRecord(doc.stringData) });
    const unknown = keys.filter((k) => !knownEnv.has(k));
    check(
      label,
      `${text(doc.kind)} ${name(doc)} keys are environment variables`,
      unknown.map((k) => `unknown ${k}`),
    );
  }
}

/** Each document against its model and the workload rules, then the checks between them. */
async function validateKubernetes(
  label: string,
  docs: Doc[],
  knownEnv: Set<string>,
): Promise<void> {
  for (const doc of docs) {
    const problems = await validateModel(doc);
    if (doc.kind === 'Deployment') problems.push(...workloadRules(doc));
    check(label, `${text(doc.kind)} ${name(doc)}`, problems);
  }
  crossChecks(label, docs, knownEnv);
}

function validateIstio(label: string, file: string): void {
  for (const doc of parseFile(file, label) ?? []) {
    const group = text(doc.apiVersion).split('/')[0];
    const problems = [
      ...(ISTIO_KINDS.has(text(doc.kind)) ? [] : [`unexpected kind ${text(doc.kind)}`]),
      ...(group === 'networking.istio.io' || group === 'security.istio.io'
        ? []
        : [`apiVersion ${text(doc.apiVersion)}`]),
      ...(asRecord(doc.metadata)?.namespace ? [] : ['no namespace']),
      ...(asRecord(doc.spec) ? [] : ['no spec']),
    ];
    check(label, `${text(doc.kind)} ${name(doc)}`, problems);
  }
}

function validateCloudFormation(label: string, file: string): void {
  const [template] = parseFile(file, label, cfnTags) ?? [];
  if (!template) return;
  const resources = Object.entries(asRecord(template.Resources) ?? {});
  check(label, 'CloudFormation template with typed resources', [
    ...(template.AWSTemplateFormatVersion === '2010-09-09' ? [] : ['no AWSTemplateFormatVersion']),
    ...(resources.length > 0 ? [] : ['no Resources']),
    ...resources
      .filter(([, r]) => !/^AWS::\w+::\w+$/.test(text(asRecord(r)?.Type)))
      .map(([id]) => `${id}: no Type`),
  ]);
  for (const [id, resource] of resources) {
    const props = asRecord(asRecord(resource)?.Properties) ?? {};
    if (asRecord(resource)?.Type !== 'AWS::Pipes::Pipe') continue;
    const filters = asRecord(asRecord(asRecord(props.SourceParameters)?.FilterCriteria))?.Filters;
    const patterns: unknown[] = [];
    const patternErrors: string[] = [];
    for (const filter of Array.isArray(filters) ? filters : []) {
      try {
        patterns.push(JSON.parse(text(asRecord(filter)?.Pattern)));
      } catch (error) {
        patternErrors.push(`pattern: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    check(label, `${id} filter patterns are JSON`, patternErrors);
    const samples = sampleStreamRecords();
    const passes = (record: unknown) =>
      patterns.length > 0 && patterns.some((p) => matchesPattern(p, record));
    check(
      label,
      `${id} filter passes a TTL deletion`,
      passes(samples.ttlDeletion) ? [] : ['it does not'],
    );
    check(
      label,
      `${id} filter drops user deletes, inserts and updates`,
      Object.entries(samples.others)
        .filter(([, record]) => passes(record))
        .map(([kind]) => `passes ${kind}`),
    );
    const template = asRecord(props.TargetParameters)?.InputTemplate;
    let problems: string[];
    try {
      const event = eventEnvelope.parse(
        JSON.parse(renderInputTemplate(text(template), samples.ttlDeletion)),
      );
      problems = event.type === 'file.expired' ? [] : [`type ${event.type}`];
    } catch (error) {
      problems = [error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error)];
    }
    check(label, `${id} input template makes a valid file.expired envelope`, problems);
  }
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => path.join(dir, f));
}

async function main(): Promise<void> {
  const knownEnv = knownEnvironmentVariables(ROOT);
  for (const arg of process.argv.slice(2)) {
    const at = arg.indexOf('=');
    const [label, file] = at > 0 ? [arg.slice(0, at), arg.slice(at + 1)] : [arg, arg];
    const docs = parseFile(path.resolve(file), label);
    if (!docs) continue;
    if (label.startsWith('compose')) validateCompose(label, docs[0] ?? {}, knownEnv);
    else await validateKubernetes(label, docs, knownEnv);
  }
  const k8s = path.join(ROOT, 'k8s');
  const plain = yamlFiles(k8s).flatMap((file) => parseFile(file, path.relative(ROOT, file)) ?? []);
  await validateKubernetes('k8s', plain, knownEnv);
  for (const file of yamlFiles(path.join(k8s, 'istio')))
    validateIstio(path.relative(ROOT, file), file);
  for (const file of yamlFiles(path.join(k8s, 'aws'))) {
    validateCloudFormation(path.relative(ROOT, file), file);
  }
  console.log(`manifests: ${report.passed} checks ok, ${report.failed} failed`);
  process.exitCode = report.failed > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(`validate-manifests: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

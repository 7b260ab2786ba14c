/**
 * The README's configuration tables and the Helm chart's `env` must name every variable that a
 * service's zod schema reads, so that the docs and the chart cannot drift from the code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '@jitkb/shared/testing';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return entry === 'node_modules' ? [] : sources(full);
    return entry.endsWith('.ts') ? [full] : [];
  });
}

/** `NAME: z....` (or one of the shared helpers) in a config schema. */
function schemaVariables(): Set<string> {
  const dirs = [path.join(REPO_ROOT, 'shared/src')];
  for (const service of readdirSync(path.join(REPO_ROOT, 'services'))) {
    dirs.push(path.join(REPO_ROOT, 'services', service, 'src'));
  }
  const names = new Set<string>();
  for (const file of dirs.flatMap(sources)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(
      /^\s*([A-Z][A-Z0-9_]{2,}):\s*(?:z\.|port\b|csv\b|booleanFlag\b|positiveInt\b)/gm,
    )) {
      names.add(match[1]!);
    }
  }
  return names;
}

function readmeVariables(): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8').split('\n')) {
    const firstCell = line.startsWith('|') ? (line.split('|')[1] ?? '') : '';
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(match[1]!);
  }
  return names;
}

/** Set by the chart from elsewhere (ports, Service URLs) or meaningful in embedded mode only. */
const NOT_IN_CHART_ENV = new Set([
  'PORT',
  'PROJECT_URL',
  'CHAT_URL',
  'GATEWAY_URL',
  'JITKB_DATA_DIR',
  'JITKB_UPLOAD_SECRET',
  'JITKB_PUBLIC_URL',
  // A secret: `secretEnv` in the chart.
  'OPENAI_API_KEY',
]);

describe('configuration docs', () => {
  const variables = [...schemaVariables()].sort();

  it('finds the variables of the config schemas', () => {
    expect(variables).toEqual(expect.arrayContaining(['JITKB_MODE', 'OIDC_ISSUER', 'TIERS']));
  });

  it('lists every variable in the README', () => {
    const documented = readmeVariables();
    expect(variables.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('has a key for every variable in the Helm chart env', () => {
    const values = parse(readFileSync(path.join(REPO_ROOT, 'helm/jitkb/values.yaml'), 'utf8')) as {
      env: Record<string, unknown>;
    };
    const keys = new Set(Object.keys(values.env));
    expect(variables.filter((name) => !keys.has(name) && !NOT_IN_CHART_ENV.has(name))).toEqual([]);
  });
});

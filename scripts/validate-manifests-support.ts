/**
 * Helpers of scripts/validate-manifests.ts: CloudFormation's YAML tags, the environment variables
 * the code and README know, and a small EventBridge Pipes evaluator (filter patterns, input
 * templates) with recorded-shape DynamoDB stream records to run it on.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CollectionTag, ScalarTag, Tags } from 'yaml';

export type Doc = Record<string, unknown>;

export const report = { passed: 0, failed: 0 };

/** Records and prints one check: `ok`, or `FAIL` with the problems found. */
export function check(label: string, what: string, problems: string[]): void {
  if (problems.length === 0) {
    report.passed += 1;
    console.log(`ok    ${label}: ${what}`);
  } else {
    report.failed += 1;
    console.log(`FAIL  ${label}: ${what}: ${problems.join('; ')}`);
  }
}

/** A scalar as text; anything else (an object, a list, nothing) as the empty string. */
export function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : '';
}

export function asRecord(value: unknown): Doc | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Doc)
    : undefined;
}

const CFN_FUNCTIONS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'Transform',
];

/** `!Ref x`, `!GetAtt a.b`, `!Sub ...` and the other short forms, as their long forms. */
export const cfnTags: Tags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) } satisfies ScalarTag,
  { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) } satisfies ScalarTag,
  {
    tag: '!GetAtt',
    resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }),
  } satisfies ScalarTag,
  { tag: '!GetAtt', collection: 'seq', resolve: (seq) => ({ 'Fn::GetAtt': seq }) },
  ...CFN_FUNCTIONS.flatMap((fn): Array<ScalarTag | CollectionTag> => [
    { tag: `!${fn}`, resolve: (value: string) => ({ [`Fn::${fn}`]: value }) },
    { tag: `!${fn}`, collection: 'seq', resolve: (seq) => ({ [`Fn::${fn}`]: seq }) },
    { tag: `!${fn}`, collection: 'map', resolve: (map) => ({ [`Fn::${fn}`]: map }) },
  ]),
] as Tags;

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return entry === 'node_modules' ? [] : sourceFiles(full);
    return entry.endsWith('.ts') && !entry.endsWith('.test.ts') ? [full] : [];
  });
}

/**
 * Variables a ConfigMap or Secret may set: the README's configuration table and every name a zod
 * config schema reads (`NAME: z.`...), so that a key nobody reads is caught.
 */
export function knownEnvironmentVariables(root: string): Set<string> {
  const known = new Set<string>();
  for (const line of readFileSync(path.join(root, 'README.md'), 'utf8').split('\n')) {
    const firstCell = line.startsWith('|') ? (line.split('|')[1] ?? '') : '';
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) known.add(match[1] ?? '');
  }
  const dirs = [path.join(root, 'shared/src')];
  for (const service of readdirSync(path.join(root, 'services'))) {
    dirs.push(path.join(root, 'services', service, 'src'));
  }
  for (const file of dirs.flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(
      /^\s*([A-Z][A-Z0-9_]{2,}):\s*(?:z\.|port\b|csv\b|booleanFlag\b)/gm,
    )) {
      known.add(match[1] ?? '');
    }
  }
  return known;
}

/** EventBridge pattern matching for the subset Pipes filters here use: exact values, nesting. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  const p = asRecord(pattern);
  const e = asRecord(event);
  if (!p || !e) return false;
  return Object.entries(p).every(([key, expected]) => {
    const actual = e[key];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? (actual as unknown[]) : [actual];
      return expected.some((v) => typeof v !== 'object' && values.includes(v));
    }
    return matchesPattern(expected, actual);
  });
}

function lookup(record: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, key) => asRecord(node)?.[key], record);
}

/** A Pipes input template filled from one record: `<$.a.b>` paths and the reserved variables. */
export function renderInputTemplate(template: string, record: unknown): string {
  return template.replace(/<([^<>]+)>/g, (_whole, ref: string) => {
    if (ref === 'aws.pipes.event.ingestion-time') return new Date().toISOString();
    if (ref === 'aws.pipes.pipe-name') return 'jitkb-ttl-expiry';
    if (!ref.startsWith('$.')) throw new Error(`unknown template variable <${ref}>`);
    const value = lookup(record, ref.slice(2));
    if (value === undefined) throw new Error(`<${ref}> is not in the stream record`);
    // Placeholders sit inside JSON strings: the value goes in escaped, without quotes.
    return JSON.stringify(text(value)).slice(1, -1);
  });
}

/**
 * DynamoDB stream records of the kb-files table, in the shape AWS delivers them (stream view
 * NEW_AND_OLD_IMAGES); a TTL deletion is a REMOVE whose userIdentity is the DynamoDB service.
 */
export function sampleStreamRecords(): { ttlDeletion: Doc; others: Record<string, Doc> } {
  const image = {
    fileId: { S: 'file-01' },
    tenantId: { S: 'tenant-a' },
    projectId: { S: 'project-01' },
    userId: { S: 'user-01' },
    chunks: { N: '12' },
    ttl: { N: '1767225600' },
  };
  const base = {
    eventID: 'c4ca4238a0b923820dcc509a6f75849b',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    eventSourceARN:
      'arn:aws:dynamodb:eu-west-1:123456789012:table/jitkb-kb-files/stream/2026-01-01T00:00:00.000',
  };
  const dynamodb = (kind: 'INSERT' | 'MODIFY' | 'REMOVE') => ({
    ApproximateCreationDateTime: 1767225700,
    Keys: { fileId: image.fileId },
    ...(kind === 'INSERT' ? {} : { OldImage: image }),
    ...(kind === 'REMOVE' ? {} : { NewImage: image }),
    SequenceNumber: '111100000000012345678901',
    SizeBytes: 180,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  });
  const service = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
  return {
    ttlDeletion: {
      ...base,
      eventName: 'REMOVE',
      dynamodb: dynamodb('REMOVE'),
      userIdentity: service,
    },
    others: {
      'a user delete': { ...base, eventName: 'REMOVE', dynamodb: dynamodb('REMOVE') },
      'an insert': { ...base, eventName: 'INSERT', dynamodb: dynamodb('INSERT') },
      'an update': { ...base, eventName: 'MODIFY', dynamodb: dynamodb('MODIFY') },
      'another service': {
        ...base,
        eventName: 'REMOVE',
        dynamodb: dynamodb('REMOVE'),
        userIdentity: { type: 'Service', principalId: 'other.amazonaws.com' },
      },
    },
  };
}

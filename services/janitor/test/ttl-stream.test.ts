import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEvent } from '@jitkb/shared';
import { REPO_ROOT } from '@jitkb/shared/testing';
import { parse } from 'yaml';
import {
  TTL_DELETION_FILTER_PATTERN,
  isTtlDeletion,
  ttlExpiryEvents,
} from '../src/handlers/ttl-stream';

const fixture = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures/kb-files-stream-records.json'), 'utf8'),
) as { records: Record<string, unknown>[] };
const records = fixture.records;
const record = (index: number): Record<string, unknown> => {
  const found = records[index];
  if (!found) throw new Error(`no fixture record ${index}`);
  return found;
};

/** The Pipe of k8s/aws/ttl-expiry-pipe.yaml, CloudFormation's short tags read as plain values. */
function readPipe(): { pattern: unknown; template: string; target: string } {
  const text = readFileSync(path.join(REPO_ROOT, 'k8s/aws/ttl-expiry-pipe.yaml'), 'utf8');
  const plain = (tag: string) => ({ tag, resolve: (value: string) => value });
  const doc = parse(text, { customTags: ['!Sub', '!Ref', '!GetAtt'].map(plain) }) as {
    Resources: {
      TtlExpiryPipe: {
        Properties: {
          SourceParameters: { FilterCriteria: { Filters: { Pattern: string }[] } };
          TargetParameters: { InputTemplate: string };
          Target: string;
        };
      };
    };
  };
  const pipe = doc.Resources.TtlExpiryPipe.Properties;
  const filter = pipe.SourceParameters.FilterCriteria.Filters[0];
  if (!filter) throw new Error('the Pipe has no filter');
  return {
    pattern: JSON.parse(filter.Pattern),
    template: pipe.TargetParameters.InputTemplate,
    target: pipe.Target,
  };
}

/** Fills a Pipe input template's `<$.path>` placeholders from a record, as the Pipe would. */
function renderTemplate(template: string, source: unknown, ingestionTime: string): unknown {
  const filled = template
    .replace('<aws.pipes.event.ingestion-time>', ingestionTime)
    .replace(/<\$\.([\w.]+)>/g, (_match, jsonPath: string) => {
      const value = jsonPath
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], source);
      if (typeof value !== 'string') throw new Error(`${jsonPath} is not a string`);
      return value;
    });
  return JSON.parse(filled);
}

describe('TTL stream records', () => {
  it('accepts only REMOVE records made by the DynamoDB service', () => {
    expect(records.map(isTtlDeletion)).toEqual([true, false, false, false, false, true]);
  });

  it('turns a TTL deletion into file.expired with the tenant and project of the old image', () => {
    const { events } = ttlExpiryEvents([record(0)]);
    expect(events).toEqual([
      {
        id: '5f1c9a7e0b2d4c38a6e1f0d9b8c7a601',
        type: 'file.expired',
        version: 1,
        occurredAt: new Date(1767225600 * 1000).toISOString(),
        tenantId: 'tenant-a',
        data: { projectId: 'project-1', fileId: 'f-ttl' },
      },
    ]);
  });

  it('ignores inserts, updates, and deletes made by anyone but the TTL process', () => {
    const batch = ttlExpiryEvents(records.slice(1, 5));
    expect(batch).toEqual({ events: [], ignored: 4, malformed: [] });
  });

  it('reports a TTL deletion without an old image as malformed instead of guessing', () => {
    const batch = ttlExpiryEvents(records);
    expect(batch.events.map((event) => event.data.fileId)).toEqual(['f-ttl']);
    expect(batch.malformed).toEqual(['5f1c9a7e0b2d4c38a6e1f0d9b8c7a606']);
    expect(batch.ignored).toBe(4);
  });

  it('reports a record whose ids do not fit the envelope as malformed', () => {
    const tooLong = structuredClone(record(0));
    const dynamodb = tooLong.dynamodb as { Keys: { fileId: { S: string } } };
    dynamodb.Keys.fileId.S = 'f'.repeat(200);
    expect(ttlExpiryEvents([tooLong]).malformed).toEqual(['5f1c9a7e0b2d4c38a6e1f0d9b8c7a601']);
  });

  it('takes the time from the SDK shape too, where ApproximateCreationDateTime is a Date', () => {
    const fromSdk = structuredClone(record(0));
    const at = new Date('2026-01-01T00:00:05.000Z');
    (fromSdk.dynamodb as Record<string, unknown>).ApproximateCreationDateTime = at;
    expect(ttlExpiryEvents([fromSdk]).events[0]?.occurredAt).toBe(at.toISOString());
  });
});

describe('the TTL-expiry Pipe (k8s/aws/ttl-expiry-pipe.yaml)', () => {
  const pipe = readPipe();

  it('filters with the same pattern as the code', () => {
    expect(pipe.pattern).toEqual(TTL_DELETION_FILTER_PATTERN);
  });

  it('builds the same envelope from a TTL deletion as ttlExpiryEvents does', () => {
    const source = record(0);
    const ingestionTime = '2026-01-01T00:00:07.000Z';
    const fromPipe = parseEvent(renderTemplate(pipe.template, source, ingestionTime));
    const [fromCode] = ttlExpiryEvents([source]).events;
    expect(fromPipe).toEqual({ ...fromCode, occurredAt: ingestionTime });
  });

  it("delivers to the janitor's queue, whose body is the bare envelope", () => {
    expect(pipe.target).toMatch(/:sqs:.*:\$\{Prefix\}-janitor$/);
  });
});

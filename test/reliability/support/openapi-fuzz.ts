/**
 * Invalid requests generated from the gateway's OpenAPI document: fast-check arbitraries built
 * from each operation's path parameters and JSON body schema. Every request they make is invalid
 * by construction (a bad or unknown id, a body its schema refuses, a body that is not JSON, a
 * wrong content type, a body over the limit), so any answer but a 4xx problem is a finding.
 */
import fc from 'fast-check';
import {
  invalidValue,
  oddString,
  validValue,
  type JsonSchema,
  type SchemaRegistry,
} from './schema-arbitraries';

export { ODD_UNICODE } from './schema-arbitraries';

interface OperationObject {
  parameters?: Array<{ name: string; in: string; schema?: JsonSchema }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiDocument extends SchemaRegistry {
  paths: Record<string, Record<string, OperationObject>>;
}

export interface Operation {
  method: string;
  /** With `{name}` placeholders. */
  path: string;
  params: string[];
  body?: { schema: JsonSchema; required: boolean };
}

export interface FuzzCase {
  operation: string;
  flaw: string;
  method: string;
  path: string;
  json?: unknown;
  raw?: string;
  contentType?: string;
}
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        ...(schema ? { body: { schema, required: op.requestBody?.required === true } } : {}),
      });
    }
  }
  return operations;
}
/** Path parameters the id pattern refuses (never `.` or `..` alone: URLs normalise those away). */
export const invalidId = fc
  .oneof(
    oddString,
    fc.constantFrom(
      '../../etc/passwd',
      '..%2F..%2Fetc',
      '...',
      'a b',
      'a/b',
      'x'.repeat(129),
      'x'.repeat(5000),
      '%',
      "'; DROP TABLE projects; --",
      '*',
      '$',
      '{id}',
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
  )
  // Empty, `.` and `..` change the route itself (`/v1/projects/` is the list), not the id.
  .filter((s) => s !== '' && s !== '.' && s !== '..' && !/^[A-Za-z0-9_-]{1,128}$/.test(s));

/** Ids of the right shape that name nothing. */
export const unknownId = fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/);

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'text/html',
  'application/octet-stream',
];

const NOT_JSON = [
  '{',
  '{"name":',
  "{'name': 'x'}",
  'null,',
  '[1,2',
  'name=x',
  '\u0000',
  '{"a":1}{"a":2}',
];

/**
 * Percent-encodes a path segment; a lone surrogate, which has no UTF-8 form, becomes the bytes of
 * an encoded surrogate (ED A0 80), which are not valid UTF-8 either: the server must cope.
 */
export function encodePathSegment(value: string): string {
  let encoded = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    encoded += code >= 0xd800 && code <= 0xdfff ? '%ED%A0%80' : encodeURIComponent(char);
  }
  return encoded;
}

/** The arbitrary of invalid requests of one operation, given real ids for its parameters. */
export function invalidRequests(
  doc: OpenApiDocument,
  operation: Operation,
  realIds: Record<string, string>,
): fc.Arbitrary<FuzzCase> | undefined {
  const label = `${operation.method} ${operation.path}`;
  const fill = (values: Record<string, string>) =>
    operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodePathSegment(values[name] ?? realIds[name] ?? 'missing'),
    );
  const flaws: Array<fc.Arbitrary<FuzzCase>> = [];
  const validBody = operation.body
    ? validValue(doc, operation.body.schema)
    : fc.constant(undefined);
  const withBody = (value: unknown) => (value === undefined ? {} : { json: value });

  for (const param of operation.params) {
    flaws.push(
      fc.tuple(invalidId, validBody).map(([id, body]) => ({
        operation: label,
        flaw: `invalid ${param}`,
        method: operation.method,
        path: fill({ [param]: id }),
        ...withBody(body),
      })),
      fc.tuple(unknownId, validBody).map(([id, body]) => ({
        operation: label,
        flaw: `unknown ${param}`,
        method: operation.method,
        path: fill({ [param]: id }),
        ...withBody(body),
      })),
    );
  }
  if (operation.body) {
    const { schema } = operation.body;
    const path = fill({});
    flaws.push(
      invalidValue(doc, schema)
        .filter((v) => v !== undefined)
        .map((json) => ({
          operation: label,
          flaw: 'body refused by its schema',
          method: operation.method,
          path,
          json,
        })),
      fc.constantFrom(...NOT_JSON).map((raw) => ({
        operation: label,
        flaw: 'body not JSON',
        method: operation.method,
        path,
        raw,
        contentType: 'application/json',
      })),
      fc.tuple(validBody, fc.constantFrom(...WRONG_CONTENT_TYPES)).map(([body, contentType]) => ({
        operation: label,
        flaw: 'wrong content type',
        method: operation.method,
        path,
        raw: JSON.stringify(body ?? {}),
        contentType,
      })),
      fc.integer({ min: 70_000, max: 300_000 }).map((n) => ({
        operation: label,
        flaw: 'body over the limit',
        method: operation.method,
        path,
        json: { padding: 'x'.repeat(n) },
      })),
    );
  }
  return flaws.length > 0 ? fc.oneof(...flaws) : undefined;
}

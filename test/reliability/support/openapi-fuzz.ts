/**
 * Invalid requests generated from the gateway's OpenAPI document: fast-check arbitraries built
 * from each operation's path parameters and JSON body schema. Every request they make is invalid
 * by construction (a bad or unknown id, a body its schema refuses, a body that is not JSON, a
 * wrong content type, a body over the limit), so any answer but a 4xx problem is a finding.
 */
import fc from 'fast-check';

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

interface OperationObject {
  parameters?: Array<{ name: string; in: string; schema?: JsonSchema }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, JsonSchema> };
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

function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let depth = 0; current.$ref && depth < 10; depth += 1) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved ${current.$ref}`);
    current = target;
  }
  return current;
}

const typesOf = (schema: JsonSchema) =>
  Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];

/** Characters that are hard on parsers, databases and screens. */
export const ODD_UNICODE = [
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\u202E',
  '\u200B',
  '\uFEFF',
  '\u0301',
  '\u{1F600}',
  '\u{10FFFF}',
  'İ',
  'ß',
  '\uFF0F',
  '\r\n',
  '%00',
  '%2F',
];

const oddString = fc
  .array(fc.oneof(fc.constantFrom(...ODD_UNICODE), fc.string({ unit: 'binary', maxLength: 4 })), {
    minLength: 1,
    maxLength: 8,
  })
  .map((parts) => parts.join(''));

/** Any JSON value of a type the schema does not allow. */
function wrongType(schema: JsonSchema): fc.Arbitrary<unknown> {
  const allowed = new Set(typesOf(schema));
  const candidates: Array<[string, fc.Arbitrary<unknown>]> = [
    ['string', fc.string({ maxLength: 20 })],
    ['integer', fc.integer()],
    [
      'number',
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
    ],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['array', fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 })],
    [
      'object',
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    ],
  ];
  const wrong = candidates
    .filter(([type]) => !allowed.has(type) && !(type === 'integer' && allowed.has('number')))
    .map(([, arbitrary]) => arbitrary);
  return fc.oneof(...wrong);
}

/** Values the schema accepts (by its own rules; the service may still refuse them). */
export function validValue(doc: OpenApiDocument, raw: JsonSchema): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = typesOf(schema)[0];
  switch (type) {
    case 'string':
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      if (schema.format === 'email') return fc.constant('someone@example.com');
      return fc.string({
        minLength: Math.max(1, schema.minLength ?? 0),
        maxLength: Math.min(40, schema.maxLength ?? 40),
      });
    case 'integer':
      return fc.integer({
        min: Math.max(schema.minimum ?? 1, (schema.exclusiveMinimum ?? 0) + 1),
        max: Math.min(schema.maximum ?? 1000, 1000),
      });
    case 'array':
      return fc.array(validValue(doc, schema.items ?? {}), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      });
    case 'object': {
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      return fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([name, s]) => [name, validValue(doc, s)]),
        ),
        { requiredKeys: Object.keys(properties).filter((name) => required.has(name)) },
      );
    }
    default:
      return fc.constant(null);
  }
}

/** Values the schema refuses: wrong types, bounds, patterns, missing and unknown fields. */
export function invalidValue(doc: OpenApiDocument, raw: JsonSchema): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  const options: Array<fc.Arbitrary<unknown>> = [wrongType(schema)];
  const type = typesOf(schema)[0];
  if (schema.enum) options.push(fc.string().filter((s) => !schema.enum!.includes(s)));
  if (type === 'string') {
    if ((schema.minLength ?? 0) > 0) options.push(fc.constant(''));
    if (schema.maxLength !== undefined) {
      const max = schema.maxLength;
      options.push(fc.integer({ min: max + 1, max: max + 2000 }).map((n) => 'x'.repeat(n)));
    }
    if (schema.pattern) {
      const pattern = new RegExp(schema.pattern);
      options.push(oddString.filter((s) => !pattern.test(s)));
      options.push(
        fc
          .constantFrom('../../etc/passwd', '..\\..\\win.ini', 'a/b', ' ', 'x'.repeat(300))
          .filter((s) => !pattern.test(s)),
      );
    }
    if (schema.format === 'email')
      options.push(fc.constantFrom('not-an-email', '@', 'a@', 'a b@c'));
  }
  if (type === 'integer' || type === 'number') {
    const low =
      schema.exclusiveMinimum ?? (schema.minimum !== undefined ? schema.minimum - 1 : undefined);
    if (low !== undefined) options.push(fc.integer({ min: -1000, max: low }));
    if (schema.maximum !== undefined) options.push(fc.constantFrom(schema.maximum + 2, 1e300));
    if (type === 'integer') options.push(fc.constantFrom(1.5, 0.1, 10.000001));
    options.push(fc.constantFrom('12', '1e3', 'NaN'));
  }
  if (type === 'array') {
    if ((schema.minItems ?? 0) > 0) options.push(fc.constant([]));
    if (schema.maxItems !== undefined) {
      const max = schema.maxItems;
      options.push(fc.constant(Array.from({ length: max + 1 }, (_, i) => `item${i}`)));
    }
    if (schema.items)
      options.push(fc.tuple(invalidValue(doc, schema.items)).map(([item]) => [item]));
  }
  if (type === 'object') {
    const properties = schema.properties ?? {};
    const base = validValue(doc, schema) as fc.Arbitrary<Record<string, unknown>>;
    // An unknown field, with names that tempt a careless server.
    const unknownName = fc
      .oneof(
        fc.constantFrom('__proto__', 'constructor', 'tenantId', 'status', 'id', 'ownerId'),
        oddString,
        fc.string({ minLength: 1, maxLength: 12 }),
      )
      .filter((name) => !(name in properties));
    options.push(
      fc
        .tuple(base, unknownName, fc.jsonValue({ maxDepth: 1 }))
        .map(([value, name, extra]) =>
          Object.fromEntries([...Object.entries(value), [name, extra]]),
        ),
    );
    for (const name of schema.required ?? []) {
      options.push(
        base.map((value) =>
          Object.fromEntries(Object.entries(value).filter(([key]) => key !== name)),
        ),
      );
    }
    for (const [name, property] of Object.entries(properties)) {
      options.push(
        fc
          .tuple(base, invalidValue(doc, property))
          .map(([value, bad]) => Object.fromEntries([...Object.entries(value), [name, bad]])),
      );
    }
  }
  return fc.oneof(...options);
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

/**
 * fast-check arbitraries from JSON Schema (the subset an OpenAPI 3.1 document generated from zod
 * uses): values a schema accepts, and values it refuses.
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

/** Where `$ref`s point: `#/components/schemas/<name>`. */
export interface SchemaRegistry {
  components?: { schemas?: Record<string, JsonSchema> };
}

function resolve(doc: SchemaRegistry, schema: JsonSchema): JsonSchema {
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

export const oddString = fc
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
export function validValue(doc: SchemaRegistry, raw: JsonSchema): fc.Arbitrary<unknown> {
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
export function invalidValue(doc: SchemaRegistry, raw: JsonSchema): fc.Arbitrary<unknown> {
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

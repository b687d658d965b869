/**
 * The signature library's file formats, as TypeBox schemas: they type the loader, validate every
 * YAML file, and `fingerprints/schema.json` is generated from `SignatureFile` (a test keeps the
 * published file equal to this definition). Semantics that a schema cannot express (paths, regexes,
 * placeholders, categories) are checked by the loader; see fingerprints/README.md for the format.
 */
import { createRequire } from 'node:module';
import type * as TypeBox from 'typebox';
import type { Static } from 'typebox';

/** The schemas, built from `Type` (see `schemas()`). */
function define(Type: typeof TypeBox.Type) {
  const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

  /** One condition on one evidence path. A bare value is shorthand for `{ equals: value }`. */
  const ConditionObject = Type.Object(
    {
      equals: Type.Optional(Scalar),
      iequals: Type.Optional(Type.String({ description: 'equal, ignoring case' })),
      prefix: Type.Optional(Type.String({ minLength: 1 })),
      oid_prefix: Type.Optional(
        Type.String({ pattern: '^[0-9]+(\\.[0-9]+)*\\.?$', description: 'OID or DICOM UID root: equal, or followed by "." and more arcs' }),
      ),
      contains: Type.Optional(Type.String({ minLength: 1 })),
      regex: Type.Optional(Type.String({ minLength: 1, description: 'JavaScript regular expression; named groups fill {name} placeholders' })),
      flags: Type.Optional(Type.String({ pattern: '^[imsu]*$', description: 'regex flags (i, m, s, u)' })),
      range: Type.Optional(
        Type.Object({ min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) }, { additionalProperties: false, minProperties: 1 }),
      ),
      in: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]), { minItems: 1 })),
      ports: Type.Optional(
        Type.Object(
          {
            any: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.String({ pattern: '^(tcp|udp)/[0-9]+$' })]), { minItems: 1 })),
            all: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.String({ pattern: '^(tcp|udp)/[0-9]+$' })]), { minItems: 1 })),
          },
          { additionalProperties: false, minProperties: 1, description: 'on `service`: ports the device answers on (number: any transport, or "tcp/104")' },
        ),
      ),
      order: Type.Optional(
        Type.Union([Type.String({ pattern: '^[0-9]+(,[0-9]+)*$' }), Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 })], {
          description: 'an ordered option list (DHCP option 55), exactly',
        }),
      ),
      exists: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false, minProperties: 1 },
  );

  const Condition = Type.Union([Scalar, ConditionObject]);

  const OuiVendor = Type.String({ minLength: 1, description: 'sugar: case-insensitive regex on mac_vendor (the IEEE registry organisation)' });

  /** Conditions that must all hold: evidence path → condition. */
  const ConditionGroup = Type.Object({ oui_vendor: Type.Optional(OuiVendor) }, { additionalProperties: Condition, minProperties: 1 });

  const Match = Type.Object(
    {
      oui_vendor: Type.Optional(OuiVendor),
      any: Type.Optional(Type.Array(ConditionGroup, { minItems: 1, description: 'at least one of these groups must hold' })),
      not: Type.Optional(ConditionGroup),
    },
    { additionalProperties: Condition, minProperties: 1 },
  );

  const Weight = Type.Integer({ minimum: 1, maximum: 100 });
  const YieldString = Type.Union([
    Type.String({ minLength: 1 }),
    Type.Object({ value: Type.String({ minLength: 1 }), weight: Weight }, { additionalProperties: false }),
  ]);
  const YieldBoolean = Type.Union([Type.Boolean(), Type.Object({ value: Type.Boolean(), weight: Weight }, { additionalProperties: false })]);

  /** What the signature says about the device. Strings may hold `{name}` placeholders. */
  const Yields = Type.Object(
    {
      vendor: Type.Optional(YieldString),
      model: Type.Optional(YieldString),
      category: Type.Optional(YieldString),
      os: Type.Optional(YieldString),
      firmware: Type.Optional(YieldString),
      software: Type.Optional(YieldString),
      medical: Type.Optional(YieldBoolean),
    },
    { additionalProperties: false, minProperties: 1 },
  );

  const EvidenceValue = Type.Union([Scalar, Type.Array(Type.Union([Scalar, Type.Array(Scalar)]))]);
  /** Flat evidence: `protocol.field`, `mac`, `mac_vendor`, `ip`, `hostname(s)`, `service(s)` → value or list of values. */
  const ExampleEvidence = Type.Record(Type.String(), EvidenceValue, { minProperties: 1 });

  const Expectation = Type.Object(
    {
      vendor: Type.Optional(Type.String()),
      model: Type.Optional(Type.String()),
      category: Type.Optional(Type.String()),
      os: Type.Optional(Type.String()),
      firmware: Type.Optional(Type.String()),
      software: Type.Optional(Type.String()),
      medical: Type.Optional(Type.Boolean()),
      criticality: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    },
    { additionalProperties: false, minProperties: 1 },
  );

  const Example = Type.Object(
    { evidence: ExampleEvidence, expect: Expectation, note: Type.Optional(Type.String()) },
    { additionalProperties: false },
  );

  const CounterExample = Type.Object({ evidence: ExampleEvidence, note: Type.Optional(Type.String()) }, { additionalProperties: false });

  const Signature = Type.Object(
    {
      id: Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', description: 'unique, kebab-case' }),
      description: Type.String({ minLength: 1 }),
      match: Match,
      weight: Type.Integer({ minimum: 1, maximum: 100, description: 'certainty of this signature alone, 1..100' }),
      yields: Yields,
      examples: Type.Array(Example, { minItems: 1, description: 'evidence in, result out: run by the test suite' }),
      counterexamples: Type.Optional(Type.Array(CounterExample, { description: 'evidence this signature must not match' })),
      references: Type.Array(Type.String({ minLength: 3 }), { minItems: 1, description: 'URL, document and section, or corpus:<path>' }),
      replaces: Type.Optional(Type.String({ description: 'user signatures only: the built-in id this one replaces' })),
    },
    { additionalProperties: false },
  );

  const SignatureFile = Type.Array(Signature, {
    title: 'auscult signature file',
    description: 'A list of device identification signatures (fingerprints/<domain>.yaml). See fingerprints/README.md.',
  });

  const Criticality = Type.Union([Type.Literal('life-sustaining'), Type.Literal('diagnostic'), Type.Literal('supporting'), Type.Null()]);

  const Category = Type.Object(
    {
      id: Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' }),
      label: Type.String({ minLength: 1 }),
      medical: Type.Boolean(),
      criticality: Criticality,
      parent: Type.Optional(Type.String({ description: 'a more general category this one refines' })),
      description: Type.String({ minLength: 1 }),
    },
    { additionalProperties: false },
  );
  const CategoryFile = Type.Array(Category);

  const Override = Type.Object(
    {
      mac: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$' })),
      ip: Type.Optional(Type.String({ minLength: 2 })),
      vendor: Type.Optional(Type.String()),
      model: Type.Optional(Type.String()),
      category: Type.Optional(Type.String()),
      os: Type.Optional(Type.String()),
      firmware: Type.Optional(Type.String()),
      software: Type.Optional(Type.String()),
      medical: Type.Optional(Type.Boolean()),
      location: Type.Optional(Type.String()),
      note: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  );
  const OverrideFile = Type.Array(Override);

  /** A canonical vendor name and the spellings that mean it (LLDP-MED, DICOM Manufacturer, registry). */
  const VendorAlias = Type.Object(
    {
      name: Type.String({ minLength: 1 }),
      aliases: Type.Array(Type.String({ minLength: 1, description: 'case-insensitive regex on a yielded vendor' }), { minItems: 1 }),
      note: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  );

  return { ConditionObject, Condition, ConditionGroup, Match, Yields, ExampleEvidence, Expectation, Example, CounterExample, Signature, SignatureFile, Criticality, Category, CategoryFile, Override, OverrideFile, VendorAlias };
}

type Defs = ReturnType<typeof define>;
const require = createRequire(import.meta.url);
let defs: Defs | null = null;
/**
 * The TypeBox schemas, built on first use: loading `typebox` costs 0.1 s, which a start with the
 * unchanged built-in library (validated at build time, see files.ts) does not need to pay.
 */
export const schemas = (): Defs => (defs ??= define((require('typebox') as typeof TypeBox).Type));
export type SchemaName = keyof Defs;

export type ConditionObject = Static<Defs['ConditionObject']>;
export type Condition = Static<Defs['Condition']>;
/** Static type by hand: TypeBox does not type `additionalProperties` (the evidence paths). */
export type ConditionGroup = { [path: string]: Condition | undefined; oui_vendor?: string };
export type Match = {
  [path: string]: Condition | ConditionGroup | ConditionGroup[] | undefined;
  oui_vendor?: string;
  any?: ConditionGroup[];
  not?: ConditionGroup;
};
export type Yields = Static<Defs['Yields']>;
export type Expectation = Static<Defs['Expectation']>;
export type Example = Static<Defs['Example']>;
export type Signature = Static<Defs['Signature']>;
export type Criticality = Static<Defs['Criticality']>;
export type Category = Static<Defs['Category']>;
export type Override = Static<Defs['Override']>;
export type VendorAlias = Static<Defs['VendorAlias']>;

/** The published JSON Schema of a signature file (fingerprints/schema.json). */
export function signatureFileJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...(JSON.parse(JSON.stringify(schemas().SignatureFile)) as Record<string, unknown>),
  };
}

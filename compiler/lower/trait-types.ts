/**
 * The traits schema of `settings({ traits })`, read from its JSON Schema: each trait's type as audiences compare it
 * (a nullable or optional trait has its value's type: missing is handled by the comparison, never by the type).
 * Null when no schema is given: traits are untyped.
 */
import type { JsonValue } from '../bundle/schema.ts';
import type { LowerContext } from './context.ts';

export type TraitType = 'string' | 'number' | 'boolean' | 'array' | 'other';

type Schema = { [key: string]: JsonValue };
const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(schema: Schema): { type: TraitType; enum?: JsonValue[] } {
  // `x.nullable()` is anyOf [x, { type: 'null' }]: the trait's type is x's.
  const options = Array.isArray(schema.anyOf) ? schema.anyOf.filter(isSchema).filter((o) => o.type !== 'null') : [];
  if (options.length === 1) return typeOf(options[0]!);
  const values = Array.isArray(schema.enum) ? schema.enum : 'const' in schema ? [schema.const!] : undefined;
  const type = schema.type;
  if (type === 'string') return { type: 'string', ...(values ? { enum: values } : {}) };
  if (type === 'number' || type === 'integer') return { type: 'number', ...(values ? { enum: values } : {}) };
  if (type === 'boolean') return { type: 'boolean' };
  if (type === 'array') return { type: 'array' };
  return { type: 'other' };
}

export function traitTypes(ctx: LowerContext): Map<string, { type: TraitType; enum?: JsonValue[] }> | null {
  const settings = ctx.all('settings')[0];
  const traits = settings?.def.traits;
  if (!settings || traits === undefined) return null;
  if (!traits.ok) {
    ctx.report(
      'invalid-schema',
      ctx.where('settings', '', settings.file, ['traits']),
      `the traits schema cannot be read as JSON Schema: ${traits.error}`,
      'traits must be plain data: remove transforms and custom types',
    );
    return null;
  }
  const properties = isSchema(traits.jsonSchema.properties) ? traits.jsonSchema.properties : {};
  const out = new Map<string, { type: TraitType; enum?: JsonValue[] }>();
  for (const [name, schema] of Object.entries(properties)) if (isSchema(schema)) out.set(name, typeOf(schema));
  return out;
}
